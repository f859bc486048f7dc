package io.fastpull.fuse;

import static io.fastpull.format.Layers.bytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.BlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.Layers;
import io.fastpull.format.Privileges;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged blobs, stalled sources, crashed servers and the chunk cache, through real mounts. */
class MountFailureTest {
  static final int CHUNK = 4096;

  @TempDir Path tmp;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void root() {
    Privileges.requireRoot();
  }

  @AfterEach
  void cleanup() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    String mounts = Files.readString(Path.of("/proc/self/mounts"));
    assertFalse(mounts.contains(tmp.toString()), "mounts left behind:\n" + mounts);
  }

  static byte[] twoFiles() throws IOException {
    return Layers.tar(w -> {
      Layers.file(w, "a", bytes(100 * CHUNK + 7, 1, false));
      Layers.file(w, "b", bytes(100 * CHUNK + 9, 2, false));
    });
  }

  /** A layer over a directory chunk cache of 64 MiB of its own. */
  LayerFixture layer(String name, byte[] tar, FetchOptions options) throws IOException {
    LayerFixture f = new LayerFixture(blob(name, tar), tmp.resolve(name + ".cache"), 64L << 20,
        options);
    open.add(f);
    return f;
  }

  /** A layer over {@code cache}, which the test opens and closes. */
  LayerFixture layer(String name, byte[] tar, DirectoryChunkCache cache, FetchOptions options)
      throws IOException {
    LayerFixture f = new LayerFixture(blob(name, tar), cache, options);
    open.add(f);
    return f;
  }

  private Path blob(String name, byte[] tar) throws IOException {
    Path blob = tmp.resolve(name + ".blob");
    if (!Files.exists(blob)) {
      LayerFixture.writeBlob(blob, tar, CHUNK);
    }
    return blob;
  }

  @Test
  void aDamagedChunkFailsItsFileOnly() throws Exception {
    byte[] tar = twoFiles();
    Path blob = LayerFixture.writeBlob(tmp.resolve("bad.blob"), tar, CHUNK);
    LayerMeta meta = LayerBlob.open(BlobSource.of(Files.readAllBytes(blob))).meta();
    ChunkInfo victim = meta.chunk(meta.fileChunks(meta.lookup("a").orElseThrow().ino())[50]);
    byte[] b = Files.readAllBytes(blob);
    b[(int) victim.compressedOffset() + 5] ^= 0x20;
    Files.write(blob, b);

    LayerFixture f = layer("bad", tar, FetchOptions.defaults());
    Path mp = f.mount(tmp.resolve("mnt"));
    assertThrows(IOException.class, () -> Files.readAllBytes(mp.resolve("a")));
    assertArrayEquals(bytes(100 * CHUNK + 9, 2, false), Files.readAllBytes(mp.resolve("b")));
    assertTrue(f.reader.stats().failures() >= 1);
  }

  @Test
  void aStalledSourceGivesEioWithinTheBoundThenRecovers() throws Exception {
    LayerFixture f = layer("stall", twoFiles(), FetchOptions.defaults().withReadTimeout(Duration.ofSeconds(2)));
    Path mp = f.mount(tmp.resolve("mnt"));
    byte[] b = Files.readAllBytes(mp.resolve("b"));
    f.source.stall();
    long t0 = System.nanoTime();
    assertThrows(IOException.class, () -> Files.readAllBytes(mp.resolve("a")));
    long waited = Duration.ofNanos(System.nanoTime() - t0).toSeconds();
    assertTrue(waited < 20, "waited " + waited + " s");
    assertArrayEquals(b, Files.readAllBytes(mp.resolve("b")), "fetched files keep working");
    f.source.recover();
    assertArrayEquals(bytes(100 * CHUNK + 7, 1, false), Files.readAllBytes(mp.resolve("a")));
  }

  @Test
  void concurrentReadersOfOneFileShareFetches() throws Exception {
    LayerFixture f = layer("conc", twoFiles(), FetchOptions.defaults());
    Path mp = f.mount(tmp.resolve("mnt"));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<byte[]>> reads = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        reads.add(pool.submit(() -> Files.readAllBytes(mp.resolve("a"))));
      }
      for (Future<byte[]> r : reads) {
        assertArrayEquals(bytes(100 * CHUNK + 7, 1, false), r.get());
      }
    } finally {
      pool.shutdownNow();
    }
    // Every stored byte of file a was asked of the source once at most.
    long stored = 0;
    for (int c : f.meta.fileChunks(f.meta.lookup("a").orElseThrow().ino())) {
      stored += f.meta.chunk(c).compressedSize();
    }
    assertTrue(f.source.bytes() <= stored + 8L * CHUNK, f.source.bytes() + " > " + stored);
    assertTrue(f.source.requests().size() < 30, "requests " + f.source.requests().size());
  }

  @Test
  void theCacheStaysWithinItsCapAndSurvivesARemount() throws Exception {
    byte[] tar = twoFiles();
    Path cacheDir = tmp.resolve("cache");
    long cap = 64L * CHUNK;
    try (DirectoryChunkCache small = DirectoryChunkCache.open(cacheDir, cap, Clock.systemUTC())) {
      LayerFixture f = layer("capped", tar, small, FetchOptions.defaults());
      Path mp = f.mount(tmp.resolve("m1"));
      Files.readAllBytes(mp.resolve("a"));
      for (int i = 0; i < 500 && small.stats().evictions() == 0; i++) {
        Thread.sleep(10); // cache writes follow the reads they serve
      }
      assertTrue(small.stats().sizeBytes() <= cap + CHUNK, small.stats().toString());
      assertTrue(small.stats().evictions() > 0, small.stats().toString());
      f.close();
    }
    try (DirectoryChunkCache big = DirectoryChunkCache.open(cacheDir, 64L << 20,
        Clock.systemUTC())) {
      LayerFixture f = layer("capped", tar, big, FetchOptions.defaults());
      Files.readAllBytes(f.mount(tmp.resolve("m2")).resolve("b"));
      int[] chunks = f.meta.fileChunks(f.meta.lookup("b").orElseThrow().ino());
      for (int i = 0; i < 500; i++) {
        boolean all = true;
        for (int c : chunks) {
          all &= big.contains(f.meta.chunk(c));
        }
        if (all) {
          break;
        }
        Thread.sleep(10); // cache writes follow the reads they serve
      }
      f.close();
    }
    try (DirectoryChunkCache again = DirectoryChunkCache.open(cacheDir, 64L << 20,
        Clock.systemUTC())) {
      LayerFixture f = layer("capped", tar, again, FetchOptions.defaults());
      f.source.goDown();
      Path mp = f.mount(tmp.resolve("m3"));
      assertArrayEquals(bytes(100 * CHUNK + 9, 2, false), Files.readAllBytes(mp.resolve("b")));
      assertEquals(0, f.source.requests().size());
      f.close();
    }
  }

  /** The C calls that leave a FUSE mount without a server, as a crashed daemon does. */
  public interface LibC {
    int open(String path, int flags);

    int mount(String source, String target, String type, long flags, String data);

    int close(int fd);
  }

  @Test
  void aStaleMountIsDetectedAndClearedBeforeRemounting() throws Exception {
    Path mp = Files.createDirectory(tmp.resolve("stale"));
    LibC c = LibraryLoader.create(LibC.class).load("c");
    int fd = c.open("/dev/fuse", 2);
    assertTrue(fd >= 0);
    int rc = c.mount("fastpull", mp.toString(), "fuse.fastpull", 1,
        "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0");
    c.close(fd);
    open.add(() -> {
      if (LayerMounter.isStale(mp)) {
        TestLayers.run("umount", "-l", mp.toString());
      }
    });
    assertEquals(0, rc);
    assertTrue(LayerMounter.isStale(mp));

    LayerFixture f = layer("after", twoFiles(), FetchOptions.defaults());
    f.mount(mp);
    assertFalse(LayerMounter.isStale(mp));
    assertArrayEquals(bytes(100 * CHUNK + 9, 2, false), Files.readAllBytes(mp.resolve("b")));
  }
}
