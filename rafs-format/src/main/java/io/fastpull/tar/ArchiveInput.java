package io.fastpull.tar;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * The archive byte stream with a running offset, so every error can say where it happened.
 *
 * <p>Not thread-safe. Adds no buffering of its own: the caller's stream is used as is.
 */
final class ArchiveInput implements Closeable {
  static final int BLOCK = 512;

  private final InputStream in;
  private long offset;
  private byte[] scratch;

  ArchiveInput(InputStream in) {
    this.in = in;
  }

  /** Bytes consumed so far, which is the offset of the next byte. */
  long offset() {
    return offset;
  }

  /**
   * Reads one whole block.
   *
   * @return false if the stream ended cleanly before the block's first byte
   * @throws TarFormatException if the stream ended inside the block
   */
  boolean readBlock(byte[] block) throws IOException {
    int n = 0;
    while (n < BLOCK) {
      int r = in.read(block, n, BLOCK - n);
      if (r < 0) {
        break;
      }
      n += r;
    }
    offset += n;
    if (n == 0) {
      return false;
    }
    if (n < BLOCK && offset == n) {
      // Not even one block: no archive at all, as GNU tar says, rather than a cut-off one.
      throw new TarFormatException(0, "this does not look like a tar archive: it holds only " + n
          + " bytes, less than one 512-byte header");
    }
    if (n < BLOCK) {
      throw new TarFormatException(offset - n, "archive ends inside a header block (" + n
          + " of 512 bytes); the archive is truncated");
    }
    return true;
  }

  /** Reads exactly {@code len} bytes or fails naming {@code what} was being read. */
  void readFully(byte[] b, int off, int len, String what) throws IOException {
    int done = 0;
    while (done < len) {
      int r = in.read(b, off + done, len - done);
      if (r < 0) {
        throw truncated(what, len - done);
      }
      done += r;
      offset += r;
    }
  }

  /** One bulk read of at most {@code len} bytes; -1 at end of stream. */
  int read(byte[] b, int off, int len) throws IOException {
    int r = in.read(b, off, len);
    if (r > 0) {
      offset += r;
    }
    return r;
  }

  int available() throws IOException {
    return in.available();
  }

  /**
   * Skips exactly {@code n} bytes or fails naming {@code what} was being skipped.
   *
   * <p>{@link InputStream#skip} may return 0 without being at the end, and some streams (files)
   * happily skip past the end; so the last byte is always read, which proves it existed.
   */
  void skipFully(long n, String what) throws IOException {
    if (n <= 0) {
      return;
    }
    long toSkip = n - 1;
    while (toSkip > 0) {
      long k = in.skip(toSkip);
      if (k > 0) {
        offset += k;
        toSkip -= k;
        continue;
      }
      // skip() made no progress: fall back to reading, which also tells us about the end.
      if (scratch == null) {
        scratch = new byte[8192];
      }
      int r = in.read(scratch, 0, (int) Math.min(scratch.length, toSkip));
      if (r < 0) {
        throw truncated(what, toSkip + 1);
      }
      offset += r;
      toSkip -= r;
    }
    if (in.read() < 0) {
      throw truncated(what, 1);
    }
    offset++;
  }

  private TarFormatException truncated(String what, long missing) {
    return new TarFormatException(offset, "archive ends inside " + what + ", " + missing
        + " bytes short; the archive is truncated");
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
