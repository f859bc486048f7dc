package io.fastpull.tar;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Typed access to the PAX records in force for one entry (global records overlaid by local ones).
 *
 * <p>Unknown keys, {@code uname}, {@code gname}, {@code atime} and {@code ctime} are ignored.
 */
final class PaxAttributes {
  private static final String SCHILY_XATTR = "SCHILY.xattr.";
  private static final String LIBARCHIVE_XATTR = "LIBARCHIVE.xattr.";

  private final Map<String, byte[]> records;
  private final long offset;

  /**
   * @param records merged records, as {@link #overlay} leaves them: an empty value of a header
   *     field keyword already removed its key, an empty xattr value is kept
   * @param offset archive offset of the entry's first extension header, for errors
   */
  PaxAttributes(Map<String, byte[]> records, long offset) {
    this.records = records;
    this.offset = offset;
  }

  /**
   * Overlays {@code update} onto {@code base}. An empty value removes its key (POSIX: it cancels a
   * global record and lets the header field apply), except for xattr records: there the empty
   * value is the attribute's value, and GNU tar, libarchive and containerd's applier (which walks
   * Go's {@code PAXRecords}) all set the attribute with an empty value.
   */
  static void overlay(Map<String, byte[]> base, Map<String, byte[]> update) {
    update.forEach((k, v) -> {
      if (v.length == 0 && !isXattr(k)) {
        base.remove(k);
      } else {
        base.put(k, v);
      }
    });
  }

  private static boolean isXattr(String key) {
    return key.startsWith(SCHILY_XATTR) || key.startsWith(LIBARCHIVE_XATTR);
  }

  boolean isEmpty() {
    return records.isEmpty();
  }

  boolean has(String key) {
    return records.containsKey(key);
  }

  Optional<String> string(String key) {
    byte[] v = records.get(key);
    return v == null ? Optional.empty() : Optional.of(new String(v, StandardCharsets.UTF_8));
  }

  /** A non-negative decimal value. */
  Optional<Long> number(String key) throws TarFormatException {
    byte[] v = records.get(key);
    if (v == null) {
      return Optional.empty();
    }
    if (v.length > 19) {
      throw bad(key, v);
    }
    long n = 0;
    for (byte c : v) {
      if (c < '0' || c > '9') {
        throw bad(key, v);
      }
      if (n > (Long.MAX_VALUE - (c - '0')) / 10) {
        throw bad(key, v);
      }
      n = n * 10 + (c - '0');
    }
    return Optional.of(n);
  }

  /**
   * The {@code mtime} record as {seconds, nanos}: {@code [-]digits[.digits]}. Fractions beyond
   * nanoseconds are truncated; a negative time with a fraction is rounded toward minus infinity
   * in seconds so that nanos stay in 0..999,999,999 ({@code -1.25} is {-2, 750,000,000}).
   */
  Optional<long[]> mtime() throws TarFormatException {
    byte[] v = records.get("mtime");
    if (v == null) {
      return Optional.empty();
    }
    int i = 0;
    boolean negative = v.length > 0 && v[0] == '-';
    if (negative) {
      i++;
    }
    int digitsStart = i;
    long seconds = 0;
    while (i < v.length && v[i] >= '0' && v[i] <= '9') {
      if (i - digitsStart >= 18) {
        throw bad("mtime", v);
      }
      seconds = seconds * 10 + (v[i] - '0');
      i++;
    }
    if (i == digitsStart) {
      throw bad("mtime", v);
    }
    long nanos = 0;
    if (i < v.length && v[i] == '.') {
      i++;
      int scale = 100_000_000;
      while (i < v.length && v[i] >= '0' && v[i] <= '9') {
        nanos += (v[i] - '0') * (long) scale;
        scale /= 10;
        i++;
      }
    }
    if (i != v.length) {
      throw bad("mtime", v);
    }
    if (negative) {
      seconds = -seconds;
      if (nanos != 0) {
        seconds -= 1;
        nanos = 1_000_000_000L - nanos;
      }
    }
    return Optional.of(new long[] {seconds, nanos});
  }

  /** Extended attributes from {@code SCHILY.xattr.*} (raw) and {@code LIBARCHIVE.xattr.*}. */
  Map<String, byte[]> xattrs() throws TarFormatException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : records.entrySet()) {
      String key = e.getKey();
      if (key.startsWith(SCHILY_XATTR) && key.length() > SCHILY_XATTR.length()) {
        out.put(key.substring(SCHILY_XATTR.length()), e.getValue());
      } else if (key.startsWith(LIBARCHIVE_XATTR) && key.length() > LIBARCHIVE_XATTR.length()) {
        String name = percentDecode(key.substring(LIBARCHIVE_XATTR.length()), key);
        out.put(name, base64(e.getValue(), key));
      }
    }
    return out;
  }

  private String percentDecode(String s, String key) throws TarFormatException {
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[in.length];
    int n = 0;
    for (int i = 0; i < in.length; i++) {
      if (in[i] == '%') {
        if (i + 2 >= in.length || Character.digit(in[i + 1], 16) < 0
            || Character.digit(in[i + 2], 16) < 0) {
          throw new TarFormatException(offset, "bad %-escape in PAX key " + key);
        }
        out[n++] = (byte) (Character.digit(in[i + 1], 16) * 16 + Character.digit(in[i + 2], 16));
        i += 2;
      } else {
        out[n++] = in[i];
      }
    }
    return new String(out, 0, n, StandardCharsets.UTF_8);
  }

  private byte[] base64(byte[] value, String key) throws TarFormatException {
    try {
      // libarchive omits the '=' padding; the JDK decoder accepts input without it.
      return Base64.getDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      throw new TarFormatException(offset, "bad base64 value for PAX key " + key);
    }
  }

  private TarFormatException bad(String key, byte[] v) {
    String shown = new String(v, 0, Math.min(v.length, 40), StandardCharsets.UTF_8);
    return new TarFormatException(offset, "bad value '" + shown + "' for PAX key " + key);
  }
}
