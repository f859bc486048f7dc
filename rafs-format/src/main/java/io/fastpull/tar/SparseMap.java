package io.fastpull.tar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The data regions of a GNU sparse file, format 1.0: the entry's stored data begins with a
 * decimal text map ({@code N\n} then N pairs of {@code offset\n size\n}) padded with NULs to a
 * whole number of blocks, followed by the regions' bytes back to back. Everything outside the
 * regions is a hole that reads as zeros.
 *
 * <p>Invariants (checked on read and write): offsets ascending, regions non-overlapping, every
 * region inside the logical size. A zero-length region at the logical size is allowed: GNU tar
 * ends every map with one (extraction uses it to set the length of a file ending in a hole).
 */
final class SparseMap {
  /** Most regions accepted; real maps have a handful, hostile ones claim billions. */
  static final int MAX_REGIONS = 1_000_000;

  private final long[] offsets;
  private final long[] lengths;
  private final long realSize;

  private SparseMap(long[] offsets, long[] lengths, long realSize) {
    this.offsets = offsets;
    this.lengths = lengths;
    this.realSize = realSize;
  }

  int count() {
    return offsets.length;
  }

  long offset(int i) {
    return offsets[i];
  }

  long length(int i) {
    return lengths[i];
  }

  long realSize() {
    return realSize;
  }

  /** Bytes stored in the archive for the regions (the map text excluded). */
  long dataBytes() {
    long sum = 0;
    for (long l : lengths) {
      sum += l;
    }
    return sum;
  }

  /**
   * Builds a validated map from {offset, length} pairs, appending the zero-length region at
   * {@code realSize} that GNU tar expects at the end of every map.
   *
   * @throws IllegalArgumentException if the regions break an invariant
   */
  static SparseMap of(List<long[]> regions, long realSize) {
    int n = regions.size();
    // GNU tar ends every map with a zero-length region at the real size (its extractor uses it
    // to set the length of a file ending in a hole); write maps the same way.
    boolean endsInHole = n == 0 || regions.get(n - 1).length != 2
        || regions.get(n - 1)[0] != realSize || regions.get(n - 1)[1] != 0;
    long[] offs = new long[endsInHole ? n + 1 : n];
    long[] lens = new long[offs.length];
    for (int i = 0; i < n; i++) {
      long[] r = regions.get(i);
      if (r.length != 2) {
        throw new IllegalArgumentException("sparse region must be {offset, length}: "
            + Arrays.toString(r));
      }
      offs[i] = r[0];
      lens[i] = r[1];
    }
    if (endsInHole) {
      offs[n] = realSize;
    }
    String problem = check(offs, lens, offs.length, realSize);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return new SparseMap(offs, lens, realSize);
  }

  /** The map text, NUL-padded to whole blocks. */
  byte[] encode() {
    StringBuilder sb = new StringBuilder().append(offsets.length).append('\n');
    for (int i = 0; i < offsets.length; i++) {
      sb.append(offsets[i]).append('\n').append(lengths[i]).append('\n');
    }
    byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
    int padded = (text.length + ArchiveInput.BLOCK - 1) / ArchiveInput.BLOCK * ArchiveInput.BLOCK;
    return Arrays.copyOf(text, padded);
  }

  /**
   * Reads the map from the start of an entry's stored data, consuming whole blocks.
   *
   * @param data the entry's stored data; left positioned at the first region byte
   * @param realSize the logical size from {@code GNU.sparse.realsize}
   * @param offset archive offset of {@code data}, for errors
   */
  static SparseMap read(InputStream data, long realSize, long offset) throws IOException {
    Reader r = new Reader(data, offset);
    long n = r.number("region count");
    if (n > MAX_REGIONS) {
      throw new TarFormatException(offset, "sparse map claims " + n + " regions, more than the "
          + MAX_REGIONS + " supported");
    }
    // Grow as regions actually arrive so a false count cannot force a large allocation.
    long[] offs = new long[(int) Math.min(n, 64)];
    long[] lens = new long[offs.length];
    for (int i = 0; i < n; i++) {
      if (i == offs.length) {
        offs = Arrays.copyOf(offs, (int) Math.min(n, 2L * i));
        lens = Arrays.copyOf(lens, offs.length);
      }
      offs[i] = r.number("region offset");
      lens[i] = r.number("region length");
    }
    String problem = check(offs, lens, (int) n, realSize);
    if (problem != null) {
      throw new TarFormatException(offset, "bad sparse map: " + problem);
    }
    r.skipToBlockEnd();
    return new SparseMap(offs, lens, realSize);
  }

  private static String check(long[] offs, long[] lens, int n, long realSize) {
    if (realSize < 0) {
      return "negative real size " + realSize;
    }
    long end = 0;
    for (int i = 0; i < n; i++) {
      if (offs[i] < 0 || lens[i] < 0) {
        return "region " + i + " has a negative offset or length: " + offs[i] + "+" + lens[i];
      }
      if (offs[i] < end) {
        return "region " + i + " at " + offs[i] + " overlaps or precedes the previous one"
            + " ending at " + end;
      }
      if (lens[i] > realSize - offs[i]) {
        return "region " + i + " (" + offs[i] + "+" + lens[i] + ") goes beyond the real size "
            + realSize;
      }
      end = offs[i] + lens[i];
    }
    return null;
  }

  /** Pulls newline-terminated decimals out of whole blocks. */
  private static final class Reader {
    private final InputStream in;
    private final long start;
    private final byte[] block = new byte[ArchiveInput.BLOCK];
    private int pos = ArchiveInput.BLOCK;
    private long consumed;

    Reader(InputStream in, long start) {
      this.in = in;
      this.start = start;
    }

    long number(String what) throws IOException {
      long v = 0;
      int digits = 0;
      while (true) {
        int c = next();
        if (c == '\n' && digits > 0) {
          return v;
        }
        if (c < '0' || c > '9' || digits == 18) {
          throw new TarFormatException(start + consumed - ArchiveInput.BLOCK + pos - 1,
              "bad sparse map " + what + " (expected decimal digits and a newline)");
        }
        v = v * 10 + (c - '0');
        digits++;
      }
    }

    private int next() throws IOException {
      if (pos == ArchiveInput.BLOCK) {
        int n = in.readNBytes(block, 0, ArchiveInput.BLOCK);
        if (n < ArchiveInput.BLOCK) {
          throw new TarFormatException(start + consumed + n, "sparse map runs past the entry's"
              + " data");
        }
        consumed += ArchiveInput.BLOCK;
        pos = 0;
      }
      return block[pos++] & 0xFF;
    }

    /** The map is padded to a block boundary; the rest of the current block is padding. */
    void skipToBlockEnd() {
      pos = ArchiveInput.BLOCK;
    }
  }
}
