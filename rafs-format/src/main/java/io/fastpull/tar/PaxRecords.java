package io.fastpull.tar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Encodes and decodes the records of a PAX extended header: {@code "<len> <key>=<value>\n"}, where
 * {@code len} is the decimal byte length of the whole record including itself.
 *
 * <p>Records are handled as bytes, never as text, because values may be binary (xattrs); keys are
 * decoded as UTF-8.
 */
final class PaxRecords {
  /** Largest PAX header this package reads or writes; real ones are a few KiB. */
  static final int MAX_SIZE = 1 << 20;

  private PaxRecords() {}

  /**
   * Parses all records of one PAX header.
   *
   * @param data the header's data, exactly as long as its size field said
   * @param dataOffset archive offset of {@code data[0]}, for error messages
   * @return key to raw value, in record order (a later duplicate replaces an earlier one)
   */
  static Map<String, byte[]> parse(byte[] data, long dataOffset) throws TarFormatException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    int pos = 0;
    while (pos < data.length) {
      if (data[pos] == 0) {
        // Some writers NUL-pad the header; nothing but padding may follow.
        for (int i = pos; i < data.length; i++) {
          if (data[i] != 0) {
            throw new TarFormatException(dataOffset + i, "data after NUL padding in PAX header");
          }
        }
        break;
      }
      int i = pos;
      long len = 0;
      while (i < data.length && data[i] >= '0' && data[i] <= '9' && i - pos < 8) {
        len = len * 10 + (data[i] - '0');
        i++;
      }
      if (i == pos || i >= data.length || data[i] != ' ') {
        throw new TarFormatException(dataOffset + pos, "PAX record does not start with"
            + " '<decimal length> '");
      }
      if (len < (i - pos) + 4 || pos + len > data.length) {
        throw new TarFormatException(dataOffset + pos, "PAX record length " + len
            + " is impossible here (" + (data.length - pos) + " bytes left in the header)");
      }
      int end = (int) (pos + len);
      if (data[end - 1] != '\n') {
        throw new TarFormatException(dataOffset + end - 1, "PAX record of length " + len
            + " does not end with a newline; its length is wrong");
      }
      int keyStart = i + 1;
      int eq = keyStart;
      while (eq < end - 1 && data[eq] != '=') {
        eq++;
      }
      if (eq == keyStart || eq >= end - 1 && data[eq] != '=') {
        throw new TarFormatException(dataOffset + keyStart, "PAX record has no 'key='");
      }
      String key = new String(data, keyStart, eq - keyStart, StandardCharsets.UTF_8);
      byte[] value = new byte[end - 1 - (eq + 1)];
      System.arraycopy(data, eq + 1, value, 0, value.length);
      out.put(key, value);
      pos = end;
    }
    return out;
  }

  /** Encodes records in map order. */
  static byte[] encode(Map<String, byte[]> records) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, byte[]> e : records.entrySet()) {
      byte[] key = e.getKey().getBytes(StandardCharsets.UTF_8);
      int body = 1 + key.length + 1 + e.getValue().length + 1; // ' ' key '=' value '\n'
      // The length counts its own digits: grow until the digit count is stable.
      int len = body + 1;
      while (Integer.toString(len).length() + body != len) {
        len = Integer.toString(len).length() + body;
      }
      out.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
      out.write(' ');
      out.writeBytes(key);
      out.write('=');
      out.writeBytes(e.getValue());
      out.write('\n');
    }
    return out.toByteArray();
  }
}
