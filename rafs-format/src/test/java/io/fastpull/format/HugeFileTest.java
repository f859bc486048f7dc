package io.fastpull.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A file over 4 GiB, streamed from a generator through the writer without touching the disk:
 * offsets past 2^32 must survive every table, and memory must stay bounded (the test JVM has a
 * 2 GiB heap).
 */
class HugeFileTest {
  static final long SIZE = (4L << 30) + 4096 + 3;

  /** Zeros, except an 8-byte big-endian position stamp at every 2^28 boundary. */
  static final class Generator extends InputStream {
    private final long size;
    private long pos;

    Generator(long size) {
      this.size = size;
    }

    static int byteAt(long p) {
      long base = p & ~((1L << 28) - 1);
      long k = p - base;
      return k < 8 ? (int) ((base >>> (8 * (7 - k))) & 0xff) : 0;
    }

    @Override
    public int read() {
      return pos < size ? byteAt(pos++) : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - pos);
      java.util.Arrays.fill(b, off, off + n, (byte) 0);
      long firstStamp = (pos + (1L << 28) - 1) & ~((1L << 28) - 1);
      for (long s = Math.max(firstStamp, pos & ~((1L << 28) - 1)); s < pos + n; s += 1L << 28) {
        for (int k = 0; k < 8; k++) {
          long p = s + k;
          if (p >= pos && p < pos + n) {
            b[off + (int) (p - pos)] = (byte) byteAt(p);
          }
        }
      }
      pos += n;
      return n;
    }
  }

  @Test
  void fileLargerThanFourGibRoundTrips() throws Exception {
    PipedInputStream in = new PipedInputStream(1 << 20);
    PipedOutputStream pipe = new PipedOutputStream(in);
    CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
      try (pipe; TarWriter w = new TarWriter(pipe)) {
        w.add(TarHeader.of("huge.bin", TarEntryType.FILE, 0644, 0, 0, SIZE, 1_700_000_000L),
            new Generator(SIZE));
        w.add(TarHeader.of("after", TarEntryType.FILE, 0644, 0, 0, 2, 1_700_000_000L),
            new java.io.ByteArrayInputStream(new byte[] {4, 2}));
        w.finish();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    ByteArrayOutputStream blobOut = new ByteArrayOutputStream();
    LayerWriter.Result r = new LayerWriter(LayerWriter.Options.defaults()).write(in, blobOut);
    producer.join();
    // Zero chunks dedupe to one; each stamped chunk is its own.
    assertTrue(r.chunks() < 40, "chunks " + r.chunks());
    assertTrue(blobOut.size() < 1 << 20, "blob " + blobOut.size());

    LayerBlob b = LayerBlob.open(BlobSource.of(blobOut.toByteArray()));
    Inode huge = b.meta().lookup("huge.bin").orElseThrow();
    assertEquals(SIZE, huge.size());
    // Slices right at and across the 4 GiB line.
    for (long off : new long[] {(4L << 30) - 1, 4L << 30, SIZE - 5, 3L << 30}) {
      List<ChunkSlice> s = b.meta().slices(huge.ino(), off, 16);
      long want = Math.min(16, SIZE - off);
      assertEquals(want, s.stream().mapToLong(ChunkSlice::length).sum());
      long pos = off;
      for (ChunkSlice slice : s) {
        byte[] c = b.readChunk(slice.chunk());
        for (int i = 0; i < slice.length(); i++) {
          assertEquals(Generator.byteAt(pos + i), c[slice.offsetInChunk() + i] & 0xff,
              "byte at " + (pos + i));
        }
        pos += slice.length();
      }
    }
    // The whole file streams back equal to the generator.
    try (InputStream back = b.openFile(huge.ino());
        InputStream want = new Generator(SIZE)) {
      byte[] x = new byte[1 << 20];
      byte[] y = new byte[1 << 20];
      long total = 0;
      int n;
      while ((n = back.readNBytes(x, 0, x.length)) > 0) {
        assertEquals(n, want.readNBytes(y, 0, n));
        assertTrue(java.util.Arrays.equals(x, 0, n, y, 0, n), "differs near " + total);
        total += n;
      }
      assertEquals(SIZE, total);
    }
    assertEquals(2, b.meta().lookup("after").orElseThrow().size());
  }
}
