package io.fastpull.daemon;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Builds a POSIX ustar archive in memory: directories, files and symlinks (test fixtures). */
final class TarBuilder {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  TarBuilder dir(String name) {
    header(name.endsWith("/") ? name : name + "/", 0755, 0, '5', "");
    return this;
  }

  TarBuilder file(String name, int mode, byte[] content) {
    header(name, mode, content.length, '0', "");
    out.writeBytes(content);
    pad(content.length);
    return this;
  }

  TarBuilder symlink(String name, String target) {
    header(name, 0777, 0, '2', target);
    return this;
  }

  byte[] build() {
    out.writeBytes(new byte[1024]); // two zero blocks end the archive
    return out.toByteArray();
  }

  private void header(String name, int mode, long size, char type, String link) {
    if (name.length() > 100 || link.length() > 100) {
      throw new IllegalArgumentException("name too long for this builder: " + name);
    }
    byte[] h = new byte[512];
    put(h, 0, name);
    put(h, 100, octal(mode, 7));
    put(h, 108, octal(0, 7));
    put(h, 116, octal(0, 7));
    put(h, 124, octal(size, 11));
    put(h, 136, octal(1_700_000_000L, 11));
    h[156] = (byte) type;
    put(h, 157, link);
    put(h, 257, "ustar");
    put(h, 263, "00");
    put(h, 265, "root");
    put(h, 297, "root");
    for (int i = 148; i < 156; i++) {
      h[i] = ' ';
    }
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    put(h, 148, octal(sum, 6));
    h[154] = 0;
    out.writeBytes(h);
  }

  private void pad(long size) {
    int rest = (int) (size % 512);
    if (rest != 0) {
      out.writeBytes(new byte[512 - rest]);
    }
  }

  private static String octal(long v, int digits) {
    String s = Long.toOctalString(v);
    return "0".repeat(Math.max(0, digits - s.length())) + s;
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }
}
