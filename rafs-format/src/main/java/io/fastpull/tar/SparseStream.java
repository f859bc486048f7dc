package io.fastpull.tar;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Expands a sparse entry: zeros for holes, stored bytes for data regions, {@link
 * SparseMap#realSize()} bytes in all. Holes cost no archive I/O, and skipping them is free.
 */
final class SparseStream extends InputStream {
  private final EntryStream stored;
  private final SparseMap map;
  private long pos;
  private int region;

  SparseStream(EntryStream stored, SparseMap map) {
    this.stored = stored;
    this.map = map;
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
    if (len == 0) {
      return 0;
    }
    if (pos >= map.realSize()) {
      stored.available(); // fails fast if the reader has moved on
      return -1;
    }
    advanceRegion();
    if (region < map.count() && pos >= map.offset(region)) {
      long left = map.offset(region) + map.length(region) - pos;
      int r = stored.read(b, off, (int) Math.min(len, left));
      if (r < 0) {
        throw new IllegalStateException("sparse data shorter than its map"); // checked at open
      }
      pos += r;
      return r;
    }
    long holeEnd = region < map.count() ? map.offset(region) : map.realSize();
    int n = (int) Math.min(len, holeEnd - pos);
    stored.available(); // fails fast if the reader has moved on
    Arrays.fill(b, off, off + n, (byte) 0);
    pos += n;
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long target = pos + Math.min(Math.max(0, n), map.realSize() - pos);
    long start = pos;
    while (pos < target) {
      advanceRegion();
      if (region < map.count() && pos >= map.offset(region)) {
        long step = Math.min(target, map.offset(region) + map.length(region)) - pos;
        stored.skip(step);
        pos += step;
      } else {
        long holeEnd = region < map.count() ? map.offset(region) : map.realSize();
        pos = Math.min(target, holeEnd);
      }
    }
    return pos - start;
  }

  /** Moves {@code region} past regions that end at or before {@code pos}. */
  private void advanceRegion() {
    while (region < map.count() && map.offset(region) + map.length(region) <= pos) {
      region++;
    }
  }

  @Override
  public void close() {
    // The archive stream belongs to the TarReader.
  }
}
