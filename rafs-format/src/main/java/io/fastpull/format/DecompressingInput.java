package io.fastpull.format;

import com.github.luben.zstd.ZstdInputStream;
import io.fastpull.tar.TarFormatException;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * The uncompressed tar of one layer, read from its raw bytes (plain, gzip or zstd, told from the
 * first bytes).
 *
 * <p>When the decoder fails, the compressed data is truncated or corrupt; the decoder's own words
 * ("Unexpected end of ZLIB input stream") say neither which nor where. Such a failure becomes a
 * {@link TarFormatException} at the tar offset reached, saying which compression failed, whether
 * the compressed data ended early (truncated) or not (corrupt), and how many compressed bytes had
 * been read. A failure of the raw stream itself (a disk or network error) passes through
 * unchanged: it says nothing about the data.
 *
 * <p>Not thread-safe. Owns the raw stream: {@link #close()} closes it.
 */
final class DecompressingInput extends InputStream {
  private final Raw raw;
  private final LayerCompression compression;
  private final InputStream decoded;
  private long produced;

  private DecompressingInput(Raw raw, LayerCompression compression, InputStream decoded) {
    this.raw = raw;
    this.compression = compression;
    this.decoded = decoded;
  }

  /**
   * Detects the compression of {@code in} and starts decoding it.
   *
   * @throws TarFormatException if the compressed stream's header is already truncated or corrupt
   * @throws IOException if reading {@code in} fails
   */
  static DecompressingInput open(InputStream in) throws IOException {
    Raw raw = new Raw(in);
    BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
    LayerCompression c = LayerCompression.detect(buffered);
    try {
      InputStream decoded = switch (c) {
        case GZIP -> new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16);
        case ZSTD -> new BufferedInputStream(new ZstdInputStream(buffered), 1 << 16);
        case NONE -> buffered;
      };
      return new DecompressingInput(raw, c, decoded);
    } catch (IOException e) {
      throw translate(raw, c, 0, e);
    }
  }

  /** The compression detected. */
  LayerCompression compression() {
    return compression;
  }

  @Override
  public int read() throws IOException {
    try {
      int b = decoded.read();
      if (b >= 0) {
        produced++;
      }
      return b;
    } catch (IOException e) {
      throw translate(raw, compression, produced, e);
    }
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    try {
      int n = decoded.read(b, off, len);
      if (n > 0) {
        produced += n;
      }
      return n;
    } catch (IOException e) {
      throw translate(raw, compression, produced, e);
    }
  }

  @Override
  public int available() throws IOException {
    try {
      return decoded.available();
    } catch (IOException e) {
      throw translate(raw, compression, produced, e);
    }
  }

  @Override
  public void close() throws IOException {
    decoded.close();
  }

  private static IOException translate(Raw raw, LayerCompression c, long produced,
      IOException e) {
    if (raw.failed || c == LayerCompression.NONE) {
      return e;
    }
    String name = c.name().toLowerCase(Locale.ROOT);
    String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    TarFormatException t = new TarFormatException(produced, raw.ended
        ? "the " + name + " data is truncated: it ends after " + raw.count
            + " compressed bytes, before the end of its stream (" + why + ")"
        : "the " + name + " data is corrupt within its first " + raw.count
            + " compressed bytes (" + why + ")");
    t.initCause(e);
    return t;
  }

  /** The compressed bytes: counts them, and tells its own failures from the decoder's. */
  private static final class Raw extends FilterInputStream {
    long count;
    boolean ended;
    boolean failed;

    Raw(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n;
      try {
        n = in.read(b, off, len);
      } catch (IOException e) {
        failed = true;
        throw e;
      }
      if (n < 0) {
        ended = true;
      } else {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      // Reads instead, so that every byte is counted.
      byte[] buf = new byte[(int) Math.min(8192, Math.max(n, 1))];
      long done = 0;
      while (done < n) {
        int r = read(buf, 0, (int) Math.min(buf.length, n - done));
        if (r < 0) {
          break;
        }
        done += r;
      }
      return done;
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
