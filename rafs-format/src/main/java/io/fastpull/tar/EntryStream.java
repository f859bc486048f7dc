package io.fastpull.tar;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * A bounded view of the next {@code length} archive bytes: one entry's stored data.
 *
 * <p>Reads go straight to the archive stream (no copy, no buffer). Reaching the end of the view
 * returns -1; the archive ending before the view does is a {@link TarFormatException}. Closing the
 * view does nothing: the archive stream belongs to the {@link TarReader}. Once the reader moves on,
 * the view is detached and any use is an {@link IllegalStateException}.
 */
final class EntryStream extends InputStream {
  private final ArchiveInput in;
  private final String what;
  private long remaining;
  private boolean detached;

  EntryStream(ArchiveInput in, long length, String what) {
    this.in = in;
    this.remaining = length;
    this.what = what;
  }

  long remaining() {
    return remaining;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int r = read(one, 0, 1);
    return r < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    checkAttached();
    if (len == 0) {
      return 0;
    }
    if (remaining == 0) {
      return -1;
    }
    int r = in.read(b, off, (int) Math.min(len, remaining));
    if (r < 0) {
      throw new TarFormatException(in.offset(), "archive ends inside the data of " + what + ", "
          + remaining + " bytes short; the archive is truncated");
    }
    remaining -= r;
    return r;
  }

  @Override
  public long skip(long n) throws IOException {
    checkAttached();
    long k = Math.min(Math.max(n, 0), remaining);
    in.skipFully(k, "the data of " + what);
    remaining -= k;
    return k;
  }

  @Override
  public int available() throws IOException {
    checkAttached();
    return (int) Math.min(in.available(), remaining);
  }

  /** Skips whatever the caller left unread. */
  void drain() throws IOException {
    skip(remaining);
  }

  void detach() {
    detached = true;
  }

  private void checkAttached() {
    if (detached) {
      throw new IllegalStateException("content of " + what
          + " read after TarReader.next() moved to the next entry");
    }
  }

  @Override
  public void close() {
    // The archive stream belongs to the TarReader.
  }
}
