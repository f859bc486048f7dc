package io.fastpull.tar;

import java.nio.charset.StandardCharsets;

/**
 * The fields of one 512-byte header block, decoded but not yet combined with PAX or GNU
 * extension headers.
 *
 * <p>Layout (POSIX ustar; old GNU and v7 share the first 257 bytes): name 0+100, mode 100+8, uid
 * 108+8, gid 116+8, size 124+12, mtime 136+12, chksum 148+8, typeflag 156, linkname 157+100, magic
 * 257+6, version 263+2, uname 265+32, gname 297+32, devmajor 329+8, devminor 337+8, prefix
 * 345+155. Old GNU keeps atime/ctime/sparse data where ustar has the prefix, so the prefix is only
 * honoured for the POSIX magic.
 *
 * @param offset archive offset of the block
 * @param typeflag the type byte as stored
 * @param name name field, joined with the ustar prefix when present
 * @param size physical data size from the size field (a PAX {@code size} may override it)
 * @param devMajor device major, read only for device entries (else 0)
 * @param devMinor device minor, read only for device entries (else 0)
 */
record RawHeader(long offset, byte typeflag, String name, long mode, long uid, long gid,
    long size, long mtime, String linkName, long devMajor, long devMinor) {

  /**
   * Decodes and checks one header block.
   *
   * @throws TarFormatException on a checksum mismatch or an unparsable numeric field
   */
  static RawHeader parse(byte[] b, long offset) throws TarFormatException {
    verifyChecksum(b, offset);
    byte typeflag = b[156];
    boolean posix = b[257] == 'u' && b[258] == 's' && b[259] == 't' && b[260] == 'a'
        && b[261] == 'r' && b[262] == 0;
    String name = string(b, 0, 100);
    if (posix && b[345] != 0) {
      name = string(b, 345, 155) + "/" + name;
    }
    long size = number(b, 124, 12, offset, "size");
    if (size < 0) {
      throw new TarFormatException(offset + 124, "negative size " + size + " in header of "
          + name);
    }
    boolean device = typeflag == '3' || typeflag == '4';
    return new RawHeader(offset, typeflag, name,
        number(b, 100, 8, offset, "mode"),
        number(b, 108, 8, offset, "uid"),
        number(b, 116, 8, offset, "gid"),
        size,
        number(b, 136, 12, offset, "mtime"),
        string(b, 157, 100),
        device ? number(b, 329, 8, offset, "devmajor") : 0,
        device ? number(b, 337, 8, offset, "devminor") : 0);
  }

  /** True if every byte of the block is zero (an end-of-archive marker). */
  static boolean isZero(byte[] b) {
    for (int i = 0; i < ArchiveInput.BLOCK; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks the stored checksum against both the unsigned sum (the standard) and the signed sum
   * (which some historic writers computed), with the checksum field itself counted as spaces.
   */
  private static void verifyChecksum(byte[] b, long offset) throws TarFormatException {
    long stored = number(b, 148, 8, offset, "checksum");
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < ArchiveInput.BLOCK; i++) {
      int v = (i >= 148 && i < 156) ? ' ' : b[i];
      unsigned += v & 0xFF;
      signed += (i >= 148 && i < 156) ? ' ' : v;
    }
    if (stored != unsigned && stored != signed) {
      throw new TarFormatException(offset, "header checksum mismatch: stored "
          + Long.toOctalString(stored) + ", computed " + Long.toOctalString(unsigned)
          + "; the block is not a tar header or is corrupt");
    }
  }

  /** A NUL-terminated (or field-filling) string, decoded as UTF-8. */
  static String string(byte[] b, int off, int len) {
    int end = off;
    while (end < off + len && b[end] != 0) {
      end++;
    }
    return new String(b, off, end - off, StandardCharsets.UTF_8);
  }

  /**
   * A numeric field: octal digits optionally surrounded by spaces and NULs, or GNU base-256 when
   * the top bit of the first byte is set (0x80 positive, 0xFF-led two's complement negative).
   */
  static long number(byte[] b, int off, int len, long blockOffset, String field)
      throws TarFormatException {
    if ((b[off] & 0x80) != 0) {
      return base256(b, off, len, blockOffset, field);
    }
    int i = off;
    int end = off + len;
    while (i < end && (b[i] == ' ' || b[i] == 0)) {
      i++;
    }
    long v = 0;
    while (i < end && b[i] >= '0' && b[i] <= '7') {
      // At most 12 octal digits fit a field: 36 bits, no overflow possible.
      v = (v << 3) | (b[i] - '0');
      i++;
    }
    while (i < end && (b[i] == ' ' || b[i] == 0)) {
      i++;
    }
    if (i != end) {
      throw new TarFormatException(blockOffset + i, "bad byte 0x" + Integer.toHexString(b[i] & 0xFF)
          + " in the octal " + field + " field");
    }
    return v;
  }

  private static long base256(byte[] b, int off, int len, long blockOffset, String field)
      throws TarFormatException {
    boolean negative = (b[off] & 0x40) != 0;
    long v = negative ? -1L : 0L;
    for (int i = off; i < off + len; i++) {
      int octet = i == off && !negative ? b[i] & 0x7F : b[i] & 0xFF;
      boolean fits = negative ? (v >> 55) == -1 : (v >>> 55) == 0;
      if (!fits) {
        throw new TarFormatException(blockOffset + off, "base-256 " + field
            + " field does not fit in 64 bits");
      }
      v = (v << 8) | octet;
    }
    return v;
  }
}
