package io.fastpull.format;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

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
   * returned stream owns {@code raw}.
   */
  public static InputStream decompress(InputStream raw) throws IOException {
    InputStream in = raw.markSupported() ? raw : new BufferedInputStream(raw, 1 << 16);
    return switch (detect(in)) {
      case GZIP -> new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
      case ZSTD -> new BufferedInputStream(new ZstdInputStream(in), 1 << 16);
      case NONE -> in;
    };
  }
}
