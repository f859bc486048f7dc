package io.fastpull.format;

import static io.fastpull.format.Layers.bytes;
import static io.fastpull.format.Layers.file;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class LayerWriterTest {

  @Test
  void sameInputGivesSameBlobWhateverTheCompressionOrThreads() throws Exception {
    byte[] tar = Oracle.richLayer(4096);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
      g.write(tar);
    }
    byte[] zst = Zstd.compress(tar, 3);
    LayerWriter.Options o = LayerWriter.Options.withChunkSize(4096);
    LayerWriter.Result plain = write(tar, o.withThreads(1));
    LayerWriter.Result gzip = write(gz.toByteArray(), o.withThreads(3));
    LayerWriter.Result zstd = write(zst, o.withThreads(2));
    assertEquals(plain.blobDigest(), gzip.blobDigest());
    assertEquals(plain.blobDigest(), zstd.blobDigest());
    String diffId = "sha256:" + HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(tar));
    assertEquals(diffId, plain.diffId());
    assertEquals(diffId, gzip.diffId());
  }

  /** GNU tar pads its archives and the tar reader skips; the diff_id must still cover it all. */
  @Test
  void diffIdOfAGnuTarArchiveIsItsSha256(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    java.nio.file.Path src = java.nio.file.Files.createDirectories(tmp.resolve("src/d"));
    java.nio.file.Files.write(src.resolve("a"), bytes(70_000, 1, true));
    java.nio.file.Files.write(src.resolve("b"), bytes(3, 2, true));
    java.nio.file.Path tar = tmp.resolve("x.tar");
    Process p = new ProcessBuilder("tar", "-c", "-f", tar.toString(), "-C", tmp.resolve("src")
        .toString(), ".").inheritIO().start();
    assertEquals(0, p.waitFor());
    byte[] bytes = java.nio.file.Files.readAllBytes(tar);
    String want = "sha256:" + HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(bytes));
    assertEquals(want, write(bytes, LayerWriter.Options.withChunkSize(4096)).diffId());
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
      g.write(bytes);
    }
    assertEquals(want, write(gz.toByteArray(), LayerWriter.Options.defaults()).diffId());
  }

  @Test
  void identicalChunksAndSmallFilesAreStoredOnce() throws Exception {
    byte[] big = bytes(5 * 4096, 11, false);
    byte[] small = bytes(100, 12, false);
    byte[] tar = Layers.tar(w -> {
      file(w, "a", big);
      file(w, "b", big);
      file(w, "s1", small);
      file(w, "s2", small);
    });
    LayerWriter.Result r = write(tar, LayerWriter.Options.withChunkSize(4096));
    assertEquals(5 + 1, r.chunks()); // five pieces of the big file, one batch
    assertEquals(5, r.dedupedChunks());
    LayerBlob b = LayerBlob.open(BlobSource.of(blob(tar, LayerWriter.Options.withChunkSize(4096))));
    assertArrayEquals(big, b.openFile(b.meta().lookup("b").orElseThrow().ino()).readAllBytes());
    assertArrayEquals(small, b.openFile(b.meta().lookup("s2").orElseThrow().ino()).readAllBytes());
  }

  @Test
  void tenThousandTinyFilesShareAFewChunks() throws Exception {
    byte[] tar = Layers.tar(w -> {
      for (int i = 0; i < 10_000; i++) {
        file(w, "pkg/m" + (i / 100) + "/f" + i + ".py", bytes(200 + i % 300, i, true));
      }
    });
    LayerWriter.Options o = LayerWriter.Options.defaults();
    byte[] blob = blob(tar, o);
    LayerBlob b = LayerBlob.open(BlobSource.of(blob));
    assertTrue(b.meta().chunkCount() <= 4, "chunks: " + b.meta().chunkCount());
    // Reading every file touches only those few chunks.
    java.util.Set<Integer> touched = new java.util.HashSet<>();
    for (int i = 0; i < 10_000; i += 37) {
      Inode n = b.meta().lookup("pkg/m" + (i / 100) + "/f" + i + ".py").orElseThrow();
      for (ChunkSlice s : b.meta().slices(n.ino(), 0, n.size())) {
        touched.add(s.chunk().index());
      }
      assertArrayEquals(bytes(200 + i % 300, i, true), b.openFile(n.ino()).readAllBytes());
    }
    assertTrue(touched.size() <= 4);
    System.out.printf("metadata for 10,000 files: %d bytes stored, %d decompressed%n",
        b.footer().metaStoredSize(), b.footer().metaSize());
  }

  @Test
  void slicesCrossChunkBoundariesExactly() throws Exception {
    int chunk = 4096;
    byte[] data = bytes(3 * chunk + 5, 99, false);
    LayerBlob b = LayerBlob.open(BlobSource.of(blob(Layers.tar(w -> file(w, "f", data)),
        LayerWriter.Options.withChunkSize(chunk))));
    int ino = b.meta().lookup("/f").orElseThrow().ino();
    for (long off : new long[] {0, 1, chunk - 1, chunk, chunk + 1, 3L * chunk, 3L * chunk + 4}) {
      for (long len : new long[] {1, chunk - 1, chunk, chunk + 1, 10L * chunk}) {
        List<ChunkSlice> s = b.meta().slices(ino, off, len);
        long expect = Math.min(len, data.length - off);
        assertEquals(expect, s.stream().mapToLong(ChunkSlice::length).sum(), off + "+" + len);
        long pos = off;
        for (ChunkSlice slice : s) {
          assertEquals(pos, slice.fileOffset());
          byte[] c = b.readChunk(slice.chunk());
          for (int i = 0; i < slice.length(); i++) {
            assertEquals(data[(int) (pos + i)], c[slice.offsetInChunk() + i]);
          }
          pos += slice.length();
        }
      }
    }
    assertEquals(List.of(), b.meta().slices(ino, data.length, 10));
  }

  @Test
  void incompressibleChunksAreStoredRaw() throws Exception {
    byte[] noise = bytes(8192, 5, false);
    LayerBlob b = LayerBlob.open(BlobSource.of(blob(Layers.tar(w -> file(w, "n", noise)),
        LayerWriter.Options.withChunkSize(4096))));
    assertTrue(b.meta().chunk(0).raw());
    assertArrayEquals(noise, b.openFile(b.meta().lookup("n").orElseThrow().ino()).readAllBytes());
  }

  @Test
  void prefetchTableFollowsTheGivenOrder() throws Exception {
    byte[] tar = Layers.tar(w -> {
      file(w, "first", bytes(3 * 4096, 1, false));
      file(w, "second", bytes(2 * 4096, 2, false));
    });
    LayerBlob b = LayerBlob.open(BlobSource.of(blob(tar,
        LayerWriter.Options.withChunkSize(4096).withPrefetch(List.of("second", "/first")))));
    assertArrayEquals(new int[] {3, 4, 0, 1, 2}, b.meta().prefetch());
  }

  @Test
  void unacceptableEntriesAreNamed() throws Exception {
    byte[] escape = Layers.tar(w -> file(w, "../etc/passwd", new byte[1]));
    LayerInputException e = assertThrows(LayerInputException.class, () -> write(escape,
        LayerWriter.Options.defaults()));
    assertTrue(e.getMessage().contains("../etc/passwd"));
    byte[] dangling = Layers.tar(w -> Layers.hardlink(w, "h", "missing"));
    assertThrows(LayerInputException.class, () -> write(dangling, LayerWriter.Options.defaults()));
    byte[] dirLink = Layers.tar(w -> {
      Layers.dir(w, "d/", 0755);
      Layers.hardlink(w, "h", "d");
    });
    assertThrows(LayerInputException.class, () -> write(dirLink, LayerWriter.Options.defaults()));
    byte[] fileAsParent = Layers.tar(w -> {
      file(w, "f", new byte[1]);
      file(w, "f/x", new byte[1]);
    });
    assertThrows(LayerInputException.class, () -> write(fileAsParent,
        LayerWriter.Options.defaults()));
  }

  @Test
  void optionsRejectBadValues() {
    assertThrows(IllegalArgumentException.class, () -> LayerWriter.Options.withChunkSize(3000));
    assertThrows(IllegalArgumentException.class, () -> LayerWriter.Options.withChunkSize(2048));
    assertThrows(IllegalArgumentException.class, () -> LayerWriter.Options.withChunkSize(1 << 25));
  }

  @Test
  void directoryEntryOverExistingDirectoryKeepsItsChildren() throws Exception {
    byte[] tar = Layers.tar(w -> {
      Layers.dir(w, "d/", 0755);
      file(w, "d/x", new byte[] {1});
      w.add(new TarHeader("d/", TarEntryType.DIRECTORY, 0700, 5, 5, 0, 1, 0, "", 0, 0,
          Map.of()), null);
    });
    LayerMeta m = LayerBlob.open(BlobSource.of(blob(tar, LayerWriter.Options.defaults()))).meta();
    Inode d = m.lookup("d").orElseThrow();
    assertEquals(0700, d.permissions());
    assertEquals(5, d.uid());
    assertTrue(m.lookup("d/x").isPresent());
  }

  static LayerWriter.Result write(byte[] layer, LayerWriter.Options o) throws IOException {
    return new LayerWriter(o).write(new ByteArrayInputStream(layer), new ByteArrayOutputStream());
  }

  static byte[] blob(byte[] tar, LayerWriter.Options o) throws IOException {
    return Layers.blob(tar, o);
  }
}
