package io.fastpull.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReadaheadTest {
  static final long MIB = 1 << 20;
  static final int READ = 128 << 10;

  @Test
  void theWindowDoublesWhileSequentialUpToTheMaximum() {
    Readahead ra = new Readahead(8 * MIB);
    long size = 1L << 30;
    long[] first = ra.onRead(7, 0, READ, size);
    assertArrayEquals(new long[] {READ, READ + MIB}, first);
    long lastTo = first[1];
    long lastLen = MIB;
    int extensions = 1;
    for (long off = READ; off < 64 * MIB; off += READ) {
      long[] due = ra.onRead(7, off, READ, size);
      if (due != null) {
        extensions++;
        assertEquals(lastTo, due[0], "contiguous ranges");
        long window = due[1] - (off + READ);
        assertTrue(window >= lastLen && window <= 8 * MIB,
            "window " + window + " after " + lastLen);
        lastLen = window;
        lastTo = due[1];
      }
    }
    assertEquals(8 * MIB, lastLen);
    assertTrue(extensions > 4);
  }

  @Test
  void aRandomReadResetsTheWindowAndFetchesNothing() {
    Readahead ra = new Readahead(8 * MIB);
    long size = 1L << 30;
    for (long off = 0; off < 32 * MIB; off += READ) {
      ra.onRead(3, off, READ, size);
    }
    assertNull(ra.onRead(3, 500 * MIB, READ, size));
    long[] due = ra.onRead(3, 500 * MIB + READ, READ, size);
    assertArrayEquals(new long[] {500 * MIB + 2 * READ, 500 * MIB + 2 * READ + MIB}, due);
  }

  @Test
  void nothingPastTheEndAndNothingWhenDisabled() {
    Readahead ra = new Readahead(8 * MIB);
    assertArrayEquals(new long[] {READ, 300_000}, ra.onRead(1, 0, READ, 300_000));
    assertNull(ra.onRead(1, READ, READ, 300_000));
    assertNull(new Readahead(0).onRead(1, 0, READ, 1L << 30));
  }
}
