package io.fastpull.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;


/**
 * The writer's heap stays bounded by the chunks in flight, not by the layer: a child JVM with a
 * 48 MiB heap converts a streamed layer holding one 6 GiB file (incompressible, so every chunk is
 * really compressed, hashed and written) plus 20,000 small files.
 */
class BoundedMemoryTest {

  /** Child process entry: streams the layer through the writer into a discarding sink. */
  public static void main(String[] args) throws Exception {
    long big = Long.parseLong(args[0]);
    PipedInputStream in = new PipedInputStream(1 << 20);
    PipedOutputStream pipe = new PipedOutputStream(in);
    Thread producer = new Thread(() -> {
      try (pipe; TarWriter w = new TarWriter(pipe)) {
        w.add(TarHeader.of("weights.bin", TarEntryType.FILE, 0644, 0, 0, big, 1_700_000_000L),
            new Generated(big));
        for (int i = 0; i < 20_000; i++) {
          byte[] b = ("file " + i + "\n").repeat(1 + i % 50).getBytes(StandardCharsets.UTF_8);
          w.add(TarHeader.of("small/d" + (i / 500) + "/f" + i, TarEntryType.FILE, 0644, 0, 0,
              b.length, 1_700_000_000L), new java.io.ByteArrayInputStream(b));
        }
        w.finish();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    producer.start();
    LayerWriter.Result r = new LayerWriter(LayerWriter.Options.defaults().withThreads(2))
        .write(in, OutputStream.nullOutputStream());
    producer.join();
    Runtime rt = Runtime.getRuntime();
    System.out.println("converted blob=" + r.blobSize() + " chunks=" + r.chunks() + " inodes="
        + r.inodes() + " heapUsedMiB=" + (rt.totalMemory() - rt.freeMemory()) / (1 << 20));
  }

  /** Pseudo-random bytes (xorshift), produced on the fly. */
  static final class Generated extends java.io.InputStream {
    private long left;
    private long x = 0x9E3779B97F4A7C15L;

    Generated(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      for (int i = 0; i < n; i += 8) {
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        for (int k = 0; k < 8 && i + k < n; k++) {
          b[off + i + k] = (byte) (x >>> (8 * k));
        }
      }
      left -= n;
      return n;
    }
  }

  @Test
  void sixGibLayerConvertsInAFortyEightMibHeap() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // Bounded below the JUnit default (5 min) so a stuck child fails with its output.
    ChildProcess.Result r = ChildProcess.run(List.of(java, "-Xmx48m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), BoundedMemoryTest.class.getName(),
        Long.toString(6L << 30)), Duration.ofMinutes(4));
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("converted blob="), r.output());
    System.out.println(r.output().strip());
  }
}
