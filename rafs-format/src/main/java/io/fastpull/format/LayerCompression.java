package io.fastpull.format;

import java.io.IOException;
import java.io.InputStream;

/** How an OCI layer's bytes are compressed, told from their first bytes. */
public enum LayerCompression {
  NONE,
  GZIP,
  ZSTD;

  /** Detects the compression of a stream without consuming it ({@code in} must support mark). */
  public static LayerCompression detect(InputStream in) throws IOException {
    in.mark(4);
    byte[] head = in.readNBytes(4);
    in.reset();
    if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) {
      return GZIP;
    }
    if (head.length == 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5
        && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) {
      return ZSTD;
    }
    return NONE;
  }

  /**
   * Wraps {@code raw} so that it yields the uncompressed tar, whatever the compression. The
   * returned stream owns {@code raw}. Compressed data that ends early or is corrupt fails with a
   * {@link io.fastpull.tar.TarFormatException} saying so, with the offsets reached; failures of
   * {@code raw} itself pass through unchanged.
   */
  public static InputStream decompress(InputStream raw) throws IOException {
    return DecompressingInput.open(raw);
  }
}
