package io.fastpull.tar;

import java.nio.charset.StandardCharsets;

/**
 * Builds one 512-byte POSIX ustar header block (magic {@code "ustar\0"}, version {@code "00"}).
 *
 * <p>Numbers that fit are written as zero-padded octal with a NUL terminator; larger or negative
 * ones as GNU base-256, which GNU tar and most readers accept. Callers that need strict POSIX put
 * the true value in a PAX record as well.
 */
final class HeaderBlock {
  private final byte[] b = new byte[ArchiveInput.BLOCK];

  HeaderBlock(byte typeflag) {
    b[156] = typeflag;
    put(257, 6, "ustar".getBytes(StandardCharsets.US_ASCII)); // NUL-terminated by the zero fill
    b[263] = '0';
    b[264] = '0';
  }

  /** Name field, with the ustar prefix when {@code prefix} is non-empty. */
  HeaderBlock name(byte[] prefix, byte[] name) {
    put(345, 155, prefix);
    put(0, 100, name);
    return this;
  }

  HeaderBlock linkName(byte[] link) {
    put(157, 100, link);
    return this;
  }

  HeaderBlock mode(long mode) {
    number(100, 8, mode);
    return this;
  }

  HeaderBlock owner(long uid, long gid) {
    number(108, 8, uid);
    number(116, 8, gid);
    return this;
  }

  HeaderBlock size(long size) {
    number(124, 12, size);
    return this;
  }

  HeaderBlock mtime(long seconds) {
    number(136, 12, seconds);
    return this;
  }

  HeaderBlock device(long major, long minor) {
    number(329, 8, major);
    number(337, 8, minor);
    return this;
  }

  /** Largest value an octal field of {@code len} bytes holds (len-1 digits plus a NUL). */
  static long octalLimit(int len) {
    return 1L << (3 * (len - 1));
  }

  /** The finished block, checksum filled in. */
  byte[] toBytes() {
    for (int i = 148; i < 156; i++) {
      b[i] = ' ';
    }
    long sum = 0;
    for (byte x : b) {
      sum += x & 0xFF;
    }
    // Six octal digits, NUL, space: the historic layout every reader accepts.
    byte[] digits = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(digits, 0, b, 148, 6);
    b[154] = 0;
    b[155] = ' ';
    return b.clone();
  }

  private void put(int off, int len, byte[] value) {
    if (value.length > len) {
      throw new IllegalArgumentException("value of " + value.length + " bytes for a " + len
          + "-byte header field");
    }
    System.arraycopy(value, 0, b, off, value.length);
  }

  private void number(int off, int len, long v) {
    if (v >= 0 && v < octalLimit(len)) {
      String s = Long.toOctalString(v);
      for (int i = 0; i < len - 1; i++) {
        int j = i - (len - 1 - s.length());
        b[off + i] = (byte) (j < 0 ? '0' : s.charAt(j));
      }
      b[off + len - 1] = 0;
      return;
    }
    // Base-256: big-endian two's complement; the first byte's top bit flags the encoding.
    long x = v;
    for (int i = len - 1; i >= 0; i--) {
      b[off + i] = (byte) x;
      x >>= 8;
    }
    b[off] = (byte) (v < 0 ? 0xFF : b[off] | 0x80);
  }
}
