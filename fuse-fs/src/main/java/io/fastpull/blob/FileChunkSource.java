package io.fastpull.blob;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A {@link ChunkSource} over a local file with positional reads; thread-safe.
 *
 * <p>An interrupt closes a {@link FileChannel} for every thread, and the reader interrupts
 * requests it gives up on; so the channel is reopened after such a close (until {@link #close()}).
 */
final class FileChunkSource implements ChunkSource {
  private final Path path;
  private final Object lock = new Object();
  /** Guarded by {@link #lock} for replacement; read without it. */
  private volatile FileChannel channel;
  private volatile boolean closed;

  FileChunkSource(Path path) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.READ);
  }

  @Override
  public void read(long offset, byte[] dst, int dstOff, int len) throws IOException {
    FileChannel ch = channel();
    ByteBuffer buf = ByteBuffer.wrap(dst, dstOff, len);
    long pos = offset;
    try {
      while (buf.hasRemaining()) {
        int n = ch.read(buf, pos);
        if (n < 0) {
          throw new EOFException(describe() + ": read " + offset + "+" + len
              + " past the end (" + ch.size() + " bytes)");
        }
        pos += n;
      }
    } catch (ClosedByInterruptException e) {
      InterruptedIOException ie = new InterruptedIOException(describe() + ": read interrupted");
      ie.initCause(e);
      throw ie;
    }
  }

  private FileChannel channel() throws IOException {
    FileChannel ch = channel;
    if (ch.isOpen()) {
      return ch;
    }
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException(describe() + " is closed");
      }
      if (!channel.isOpen()) {
        channel = FileChannel.open(path, StandardOpenOption.READ);
      }
      return channel;
    }
  }

  @Override
  public long size() throws IOException {
    return channel().size();
  }

  @Override
  public String describe() {
    return "file:" + path;
  }

  @Override
  public void close() throws IOException {
    synchronized (lock) {
      closed = true;
      channel.close();
    }
  }
}
