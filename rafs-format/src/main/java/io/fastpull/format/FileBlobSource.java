package io.fastpull.format;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A {@link BlobSource} over a local file; positional reads, so safe for concurrent use. */
public final class FileBlobSource implements BlobSource, Closeable {
  private final FileChannel channel;
  private final Path path;

  FileBlobSource(Path path) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.READ);
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public void readFully(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(dst, dstOffset, length);
    long pos = offset;
    while (buf.hasRemaining()) {
      int n = channel.read(buf, pos);
      if (n < 0) {
        throw new EOFException(path + ": read " + offset + "+" + length + " past the end ("
            + channel.size() + " bytes)");
      }
      pos += n;
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
