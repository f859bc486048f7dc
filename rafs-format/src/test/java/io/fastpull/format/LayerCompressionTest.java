package io.fastpull.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import io.fastpull.tar.TarFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Compressed layers that end early or are corrupt fail with a TarFormatException saying so and
 * where; failures of the source stream itself pass through; every form of the empty layer converts.
 */
class LayerCompressionTest {
  private static final byte[] TAR = tarOfSize();

  private static byte[] tarOfSize() {
    try {
      return Layers.tar(w -> {
        Layers.file(w, "./random", Layers.bytes(300_000, 1, false));
        Layers.file(w, "./text", Layers.bytes(300_000, 2, true));
      });
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void truncatedGzipSaysTruncatedAndWhere() {
    byte[] gz = gzip(TAR);
    TarFormatException e = assertThrows(TarFormatException.class,
        () -> convert(Arrays.copyOf(gz, gz.length / 2)));
    assertTrue(e.problem().contains("gzip data is truncated"), e.getMessage());
    assertTrue(e.problem().contains("after " + gz.length / 2 + " compressed bytes"),
        e.getMessage());
    assertTrue(e.offset() > 0 && e.offset() < TAR.length, e.getMessage());
  }

  @Test
  void gzipWithoutItsTrailerIsTruncated() {
    byte[] gz = gzip(TAR);
    TarFormatException e = assertThrows(TarFormatException.class,
        () -> convert(Arrays.copyOf(gz, gz.length - 4)));
    assertTrue(e.problem().contains("gzip data is truncated"), e.getMessage());
  }

  @Test
  void truncatedZstdSaysTruncated() {
    byte[] zst = zstd(TAR);
    TarFormatException e = assertThrows(TarFormatException.class,
        () -> convert(Arrays.copyOf(zst, zst.length / 2)));
    assertTrue(e.problem().contains("zstd data is truncated"), e.getMessage());
  }

  @Test
  void corruptGzipSaysCorrupt() {
    byte[] gz = gzip(TAR);
    // The first deflate block header right after the 10-byte gzip header: BFINAL=1 with the
    // reserved block type 3, which every inflater rejects.
    byte[] bad = gz.clone();
    bad[10] = 0x07;
    TarFormatException e = assertThrows(TarFormatException.class, () -> convert(bad));
    assertTrue(e.problem().contains("gzip data is corrupt"), e.getMessage());
  }

  @Test
  void headerOnlyGzipIsTruncated() {
    TarFormatException e = assertThrows(TarFormatException.class,
        () -> convert(Arrays.copyOf(gzip(TAR), 5)));
    assertTrue(e.problem().contains("gzip data is truncated"), e.getMessage());
  }

  @Test
  void sourceFailuresPassThroughUnchanged() {
    byte[] gz = gzip(TAR);
    IOException gone = new IOException("connection reset");
    InputStream failing = new InputStream() {
      int pos;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (pos >= gz.length / 2) {
          throw gone;
        }
        int n = Math.min(len, gz.length / 2 - pos);
        System.arraycopy(gz, pos, b, off, n);
        pos += n;
        return n;
      }
    };
    IOException e = assertThrows(IOException.class,
        () -> new LayerWriter(LayerWriter.Options.defaults().withThreads(1))
            .write(failing, OutputStream.nullOutputStream()));
    assertSame(gone, e);
  }

  @Test
  void everyFormOfTheEmptyLayerConverts() throws IOException {
    byte[] zeros = new byte[1024];
    // The last, a 0-byte blob, is what containerd's applier also reads as an empty layer, so a
    // registry's layer converts; `fastpull layer pack` refuses a 0-byte file as GNU tar does.
    for (byte[] layer : new byte[][] {zeros, gzip(zeros), zstd(zeros), gzip(new byte[0]),
        new byte[10240], new byte[0]}) {
      LayerWriter.Result r = convert(layer);
      assertEquals(0, r.entries());
      assertEquals(1, r.inodes(), "the root only");
    }
  }

  private static LayerWriter.Result convert(byte[] layer) throws IOException {
    return new LayerWriter(LayerWriter.Options.defaults().withThreads(1))
        .write(new ByteArrayInputStream(layer), OutputStream.nullOutputStream());
  }

  private static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }

  private static byte[] zstd(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(out)) {
      z.write(data);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return out.toByteArray();
  }
}
