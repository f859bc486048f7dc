package io.fastpull.registry;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * The bytes of a blob being uploaded, handed out in windows: the uploader asks for the window that
 * starts at the offset the registry confirmed, and sends it as a request body, again if need be. A file
 * or a byte array serves any window ({@link #replayable()}); a stream serves the window it holds and reads
 * the next one when asked for the offset where the window ends, so an interrupted chunk can be sent again
 * from any offset inside it, never from before it.
 *
 * <p>Not thread-safe: one uploader uses one source.
 */
interface UploadSource {
  /** The blob's size when known up front, else -1 (a stream). */
  long size();

  /** Whether any window can be served, so an upload can start again from byte 0. */
  boolean replayable();

  /**
   * Makes the bytes from {@code from} available and says how many are, at most {@code max}; 0 at the
   * end of the blob.
   *
   * @throws RegistryException UNAVAILABLE when a stream has already moved past {@code from}
   */
  long window(long from, long max) throws IOException;

  /** A request body for bytes {@code [from, from + length)}, inside the last {@link #window}. */
  Transport.Body body(long from, long length);

  /**
   * Checks, at the end of the blob, that its bytes hash to {@code digest}. Sources the registry alone
   * checks (files, arrays) do nothing; a stream compares what it read.
   */
  void verify(Digest digest) throws RegistryException;

  static UploadSource of(byte[] data) {
    return new Bytes(data);
  }

  static UploadSource of(Path file) throws IOException {
    return new FileRange(file, Files.size(file));
  }

  /** A stream read once, {@code window} bytes at a time into memory; hashes what it reads with {@code md}. */
  static UploadSource of(InputStream in, int window, MessageDigest md) {
    return new Stream(in, window, md);
  }

  /** A byte array. */
  final class Bytes implements UploadSource {
    private final byte[] data;

    Bytes(byte[] data) {
      this.data = data;
    }

    @Override
    public long size() {
      return data.length;
    }

    @Override
    public boolean replayable() {
      return true;
    }

    @Override
    public long window(long from, long max) {
      return Math.min(max, data.length - from);
    }

    @Override
    public Transport.Body body(long from, long length) {
      return () -> streamed(new ByteArrayInputStream(data, Math.toIntExact(from), Math.toIntExact(length)), length);
    }

    @Override
    public void verify(Digest digest) {}
  }

  /** A file whose size is fixed while it is uploaded; each body opens it at its offset. */
  final class FileRange implements UploadSource {
    private final Path file;
    private final long size;

    FileRange(Path file, long size) {
      this.file = file;
      this.size = size;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public boolean replayable() {
      return true;
    }

    @Override
    public long window(long from, long max) {
      return Math.min(max, size - from);
    }

    @Override
    public Transport.Body body(long from, long length) {
      // The file is opened when the client starts sending, so a request that never sends opens nothing;
      // the stream closes the file at its end, and the client closes it when it gives up early.
      return () -> HttpRequest.BodyPublishers.fromPublisher(
          HttpRequest.BodyPublishers.ofInputStream(() -> open(from, length)), length);
    }

    private InputStream open(long from, long length) {
      try {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        ch.position(from);
        return new Limited(Channels.newInputStream(ch), length);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + " at offset " + from, e);
      }
    }

    @Override
    public void verify(Digest digest) {}
  }

  /** A stream, read into one window-sized buffer at a time. */
  final class Stream implements UploadSource {
    private final InputStream in;
    private final byte[] buffer;
    private final MessageDigest md;
    private long start;
    private int length;
    private boolean ended;

    Stream(InputStream in, int window, MessageDigest md) {
      this.in = in;
      this.buffer = new byte[window];
      this.md = md;
    }

    @Override
    public long size() {
      return -1;
    }

    @Override
    public boolean replayable() {
      return start == 0;
    }

    @Override
    public long window(long from, long max) throws IOException {
      long end = start + length;
      if (from == end && !ended) {
        int n = in.readNBytes(buffer, 0, buffer.length);
        md.update(buffer, 0, n);
        start = end;
        length = n;
        ended = n < buffer.length;
        return Math.min(max, n);
      }
      if (from < start || from > end) {
        throw RegistryException.builder(RegistryException.Kind.UNAVAILABLE, "upload from a stream")
            .detail("the registry holds " + from + " bytes of the blob, but the stream has only bytes "
                + start + " to " + end + " left to send again; push the blob again")
            .build();
      }
      return Math.min(max, end - from);
    }

    @Override
    public Transport.Body body(long from, long len) {
      int off = Math.toIntExact(from - start);
      int n = Math.toIntExact(len);
      return () -> streamed(new ByteArrayInputStream(buffer, off, n), len);
    }

    @Override
    public void verify(Digest digest) throws RegistryException {
      if (!digest.matches(md.digest())) {
        throw RegistryException.builder(RegistryException.Kind.DIGEST_MISMATCH, "chunked upload of " + digest)
            .detail("the " + (start + length) + " streamed bytes do not hash to the declared digest; upload cancelled")
            .build();
      }
    }
  }

  /**
   * A body of {@code length} bytes pulled from {@code in} as the client sends. Not ofByteArray: that
   * copies the whole array before the first byte goes out, which for a big chunk looks like a stall.
   */
  static HttpRequest.BodyPublisher streamed(InputStream in, long length) {
    return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> in), length);
  }

  /** At most {@code left} bytes of {@code in}; closes {@code in} when they are read. */
  final class Limited extends InputStream {
    private final InputStream in;
    private long left;

    Limited(InputStream in, long left) {
      this.in = in;
      this.left = left;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        in.close();
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n < 0) {
        in.close();
        return -1;
      }
      left -= n;
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
