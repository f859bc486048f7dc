package io.fastpull.tar;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a POSIX tar archive: plain ustar headers when every field fits, with a PAX {@code x}
 * header in front when something does not (long or non-ASCII names and link names, sizes of 8
 * GiB and more, uid/gid of 2^21 and more, negative or sub-second or far-future mtimes, xattrs as
 * {@code SCHILY.xattr.*} with raw value bytes). Sparse files use GNU sparse format 1.0, which GNU
 * tar extracts as sparse files.
 *
 * <p>Lifecycle: {@link #add} / {@link #addSparse} any number of times, then {@link #finish()}
 * (writes the two zero blocks; idempotent) and/or {@link #close()} (finishes if needed, then
 * closes the underlying stream; idempotent). Adding after finishing is an {@link
 * IllegalStateException}. Output is written in blocks of 512 bytes and data in 64 KiB pieces, so
 * buffering the target stream is optional. Not thread-safe.
 */
public final class TarWriter implements Closeable {
  private static final int COPY_BUFFER = 64 * 1024;

  private final OutputStream out;
  private final byte[] buffer = new byte[COPY_BUFFER];
  private boolean finished;
  private boolean closed;

  /** @param out the archive destination; owned by the writer, closed by {@link #close()} */
  public TarWriter(OutputStream out) {
    this.out = out;
  }

  /**
   * Appends one entry.
   *
   * @param h the entry; for {@link TarEntryType#FILE} its size is the number of bytes copied
   * @param data the file's content, at least {@code h.size()} bytes of which are copied (the rest
   *     is left unread); may be null when the size is 0 or the entry is not a file. Not closed.
   * @throws IOException if {@code data} ends early (the archive is then unusable) or writing fails
   * @throws IllegalArgumentException if the header cannot be written (e.g. PAX data over 1 MiB)
   * @throws IllegalStateException after {@link #finish()}
   */
  public void add(TarHeader h, InputStream data) throws IOException {
    checkOpen();
    if (h.size() > 0 && data == null) {
      throw new IllegalArgumentException("no data given for " + h.name() + " of " + h.size()
          + " bytes");
    }
    Map<String, byte[]> pax = new LinkedHashMap<>();
    HeaderBlock block = new HeaderBlock(typeflag(h.type()));
    nameFields(block, h.name(), pax, "path");
    byte[] link = h.linkName().getBytes(StandardCharsets.UTF_8);
    if (link.length <= 100 && isAscii(link)) {
      block.linkName(link);
    } else {
      pax.put("linkpath", link);
      block.linkName(fallback(h.linkName(), 100));
    }
    commonFields(block, h, h.size(), pax);
    writeExtended(pax, h.name(), "PaxHeaders");
    out.write(block.toBytes());
    copy(data, h.size(), h.name());
    pad(h.size());
  }

  /**
   * Appends a sparse file in GNU sparse format 1.0: {@code h.size()} is the logical size, and only
   * the data regions are stored. The map always ends with a zero-length region at the logical
   * size, as GNU tar's maps do, so extraction restores the length of a file ending in a hole.
   *
   * @param h a {@link TarEntryType#FILE} header giving the logical size
   * @param dataRegions {offset, length} pairs, ascending, non-overlapping, within {@code h.size()}
   * @param regionData the regions' bytes back to back (sum of lengths); may be null if that is 0.
   *     Not closed.
   * @throws IllegalArgumentException for a non-file header or regions that break the rules
   */
  public void addSparse(TarHeader h, List<long[]> dataRegions, InputStream regionData)
      throws IOException {
    checkOpen();
    if (h.type() != TarEntryType.FILE) {
      throw new IllegalArgumentException("sparse entry must be a FILE: " + h);
    }
    long given = SparseMap.of(dataRegions, h.size()).dataBytes(); // validates the regions
    SparsePlan plan = new SparsePlan(dataRegions);
    SparseMap map = SparseMap.of(plan.regions, h.size());
    if (given > 0 && regionData == null) {
      throw new IllegalArgumentException("no region data given for " + h.name());
    }
    byte[] mapText = map.encode();
    long stored = mapText.length + map.dataBytes();
    Map<String, byte[]> pax = new LinkedHashMap<>();
    pax.put("GNU.sparse.major", ascii("1"));
    pax.put("GNU.sparse.minor", ascii("0"));
    pax.put("GNU.sparse.name", h.name().getBytes(StandardCharsets.UTF_8));
    pax.put("GNU.sparse.realsize", ascii(Long.toString(h.size())));
    HeaderBlock block = new HeaderBlock((byte) '0');
    // GNU tar's naming for the stand-in header, so old readers extract somewhere harmless.
    int slash = h.name().lastIndexOf('/', h.name().length() - 2);
    String dir = slash < 0 ? "." : h.name().substring(0, slash);
    nameFields(block, dir + "/GNUSparseFile.0/" + h.name().substring(slash + 1), new LinkedHashMap<>(),
        null);
    commonFields(block, h, stored, pax);
    writeExtended(pax, h.name(), "PaxHeaders");
    out.write(block.toBytes());
    out.write(mapText);
    for (long[] step : plan.steps) {
      if (step[0] == 0) {
        copy(regionData, step[1], h.name());
      } else {
        zeros(step[1]);
      }
    }
    pad(stored);
  }

  /** Writes the end-of-archive marker (two zero blocks) and flushes. Idempotent. */
  public void finish() throws IOException {
    if (closed) {
      throw new IllegalStateException("TarWriter is closed");
    }
    if (!finished) {
      finished = true;
      out.write(new byte[2 * ArchiveInput.BLOCK]);
      out.flush();
    }
  }

  /** Finishes the archive if needed and closes the underlying stream. Idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    try {
      finish();
    } finally {
      closed = true;
      out.close();
    }
  }

  private void checkOpen() {
    if (finished || closed) {
      throw new IllegalStateException("TarWriter is already finished");
    }
  }

  /**
   * Fills name/prefix, or records {@code paxKey} when the name cannot be expressed in ustar
   * (null paxKey: truncate silently, used for stand-in names).
   */
  private static void nameFields(HeaderBlock block, String name, Map<String, byte[]> pax,
      String paxKey) {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    if (isAscii(bytes)) {
      if (bytes.length <= 100) {
        block.name(new byte[0], bytes);
        return;
      }
      // Split at a '/' so that prefix <= 155 bytes and a non-empty name part <= 100 bytes.
      for (int i = Math.max(1, bytes.length - 101); i <= Math.min(155, bytes.length - 2); i++) {
        if (bytes[i] == '/') {
          block.name(java.util.Arrays.copyOfRange(bytes, 0, i),
              java.util.Arrays.copyOfRange(bytes, i + 1, bytes.length));
          return;
        }
      }
    }
    if (paxKey != null) {
      pax.put(paxKey, bytes);
    }
    block.name(new byte[0], fallback(name, 100));
  }

  private static void commonFields(HeaderBlock block, TarHeader h, long stored,
      Map<String, byte[]> pax) {
    block.mode(h.mode());
    block.owner(h.uid(), h.gid());
    if (h.uid() >= HeaderBlock.octalLimit(8)) {
      pax.put("uid", ascii(Long.toString(h.uid())));
    }
    if (h.gid() >= HeaderBlock.octalLimit(8)) {
      pax.put("gid", ascii(Long.toString(h.gid())));
    }
    block.size(stored);
    if (stored >= HeaderBlock.octalLimit(12)) {
      pax.put("size", ascii(Long.toString(stored)));
    }
    block.mtime(h.mtimeSeconds());
    if (h.mtimeSeconds() < 0 || h.mtimeSeconds() >= HeaderBlock.octalLimit(12)
        || h.mtimeNanos() != 0) {
      pax.put("mtime", ascii(paxTime(h.mtimeSeconds(), h.mtimeNanos())));
    }
    if (h.type() == TarEntryType.CHAR_DEVICE || h.type() == TarEntryType.BLOCK_DEVICE) {
      block.device(h.devMajor(), h.devMinor());
    }
    h.xattrs().forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));
  }

  /** {@code seconds.nanos} with nanos in [0, 1e9) becomes a signed decimal: {-2, 5e8} is -1.5. */
  static String paxTime(long seconds, int nanos) {
    if (nanos == 0) {
      return Long.toString(seconds);
    }
    boolean negative = seconds < 0;
    long whole = negative ? -(seconds + 1) : seconds;
    long frac = negative ? 1_000_000_000L - nanos : nanos;
    String digits = String.format("%09d", frac).replaceAll("0+$", "");
    return (negative ? "-" : "") + whole + "." + digits;
  }

  private void writeExtended(Map<String, byte[]> pax, String name, String dir)
      throws IOException {
    if (pax.isEmpty()) {
      return;
    }
    byte[] data = PaxRecords.encode(pax);
    if (data.length > PaxRecords.MAX_SIZE) {
      throw new IllegalArgumentException("PAX header for " + name + " would be " + data.length
          + " bytes, more than the " + PaxRecords.MAX_SIZE + " readers accept");
    }
    String base = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
    base = base.substring(base.lastIndexOf('/') + 1);
    HeaderBlock block = new HeaderBlock((byte) 'x');
    block.name(new byte[0], fallback("./" + dir + "/" + base, 100));
    block.mode(0644).owner(0, 0).size(data.length).mtime(0);
    out.write(block.toBytes());
    out.write(data);
    pad(data.length);
  }

  private void copy(InputStream data, long size, String name) throws IOException {
    long left = size;
    while (left > 0) {
      int r = data.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (r < 0) {
        throw new IOException("data for tar entry " + name + " ended after " + (size - left)
            + " of " + size + " bytes; the archive being written is incomplete");
      }
      out.write(buffer, 0, r);
      left -= r;
    }
  }

  private void zeros(long n) throws IOException {
    java.util.Arrays.fill(buffer, (byte) 0);
    for (long left = n; left > 0; left -= Math.min(left, buffer.length)) {
      out.write(buffer, 0, (int) Math.min(left, buffer.length));
    }
  }

  private void pad(long size) throws IOException {
    int pad = (int) (-size & (ArchiveInput.BLOCK - 1));
    if (pad > 0) {
      out.write(new byte[pad]);
    }
  }

  private static byte typeflag(TarEntryType type) {
    return switch (type) {
      case FILE -> '0';
      case HARDLINK -> '1';
      case SYMLINK -> '2';
      case CHAR_DEVICE -> '3';
      case BLOCK_DEVICE -> '4';
      case DIRECTORY -> '5';
      case FIFO -> '6';
    };
  }

  private static boolean isAscii(byte[] b) {
    for (byte x : b) {
      if (x <= 0) {
        return false; // non-ASCII, or a NUL that would cut the field short
      }
    }
    return true;
  }

  /** An ASCII stand-in of at most {@code max} bytes for a name that goes into PAX. */
  private static byte[] fallback(String s, int max) {
    byte[] out = new byte[Math.min(s.length(), max)];
    for (int i = 0; i < out.length; i++) {
      char c = s.charAt(i);
      out[i] = (byte) (c > 0 && c < 0x80 ? c : '_');
    }
    return out;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
