package io.fastpull.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.BlobSource;
import io.fastpull.format.ChunkSlice;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import io.fastpull.format.LazyLayer;
import io.fastpull.format.Privileges;
import io.fastpull.fuse.MountOptions;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.FaultProxy;
import io.fastpull.registry.testing.LocalRegistry;
import io.fastpull.snapshot.MountedLayer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A lazy layer mounted over the real registry (behind a counting, fault-injecting proxy):
 * small reads fetch only their chunks, concurrent readers share one request, altered bytes in the
 * registry give EIO for that file only, and an outage gives EIO within the read bound and heals.
 */
class RegistrySourceTest {
  @TempDir Path dir;
  private LocalRegistry registry;
  private FaultProxy proxy;
  private RegistryClient client;
  private DirectoryChunkCache cache;
  private ExecutorService executor;
  private FuseLayerMounter mounter;
  private Path mountpoint;
  private byte[] blob;
  private LayerMeta meta;
  private final byte[] weights = Layers.bytes(6 << 20, 3, false);
  private final byte[] small = "small file\n".getBytes(StandardCharsets.UTF_8);

  @BeforeEach
  void mount() throws Exception {
    Privileges.requireRoot();
    byte[] tar = Layers.tar(w -> {
      Layers.file(w, "small.txt", small);
      Layers.file(w, "other.txt", "other\n".getBytes(StandardCharsets.UTF_8));
      Layers.file(w, "weights.bin", weights);
      Layers.file(w, "tail.bin", Layers.bytes(3 << 20, 4, false));
    });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerWriter.Result r = new LayerWriter(LayerWriter.Options.defaults())
        .write(new ByteArrayInputStream(tar), out);
    blob = out.toByteArray();
    meta = LayerBlob.open(BlobSource.of(blob)).meta();

    registry = LocalRegistry.builder(dir.resolve("registry")).start();
    proxy = FaultProxy.start(registry.host());
    client = RegistryClient.builder().plainHttp(proxy.host())
        .readTimeout(Duration.ofSeconds(2)).build();
    ImageReference repo = ImageReference.parse(proxy.host() + "/lazy/layer:1");
    Digest digest = client.pushBlob(repo, blob);
    cache = DirectoryChunkCache.open(dir.resolve("cache"), 64L << 20, Clock.systemUTC());
    executor = Executors.newCachedThreadPool();
    mounter = new FuseLayerMounter(client, cache,
        FetchOptions.defaults().withReadTimeout(Duration.ofSeconds(3)),
        MountOptions.defaults(), executor, Clock.systemUTC(), dir.resolve("state"));
    mountpoint = Files.createDirectories(dir.resolve("mnt"));
    proxy.reset();
    MountedLayer m = mounter.mount("test", Map.of(
        LazyLayerResolver.LABEL_REPO, proxy.host() + "/lazy/layer",
        LazyLayer.LABEL_BLOB, digest.toString(),
        LazyLayer.LABEL_META, LazyLayer.metaLabel(r.footer())), mountpoint).orElseThrow();
    assertEquals(mountpoint, m.mountpoint());
    assertEquals(1, proxy.requests("/blobs/"), "mounting reads the metadata with one request");
    proxy.reset();
  }

  @AfterEach
  void unmount() throws Exception {
    try {
      if (mounter != null) {
        mounter.unmount(mountpoint);
      }
    } finally {
      if (executor != null) {
        executor.shutdownNow();
      }
      if (cache != null) {
        cache.close();
      }
      if (client != null) {
        client.close();
      }
      if (proxy != null) {
        proxy.close();
      }
      if (registry != null) {
        registry.close();
      }
    }
  }

  @Test
  void aSmallReadFetchesOnlyItsChunk() throws IOException {
    assertArrayEquals(small, Files.readAllBytes(mountpoint.resolve("small.txt")));
    assertEquals(1, proxy.requests("/blobs/"));
    int chunk = meta.slices(meta.lookup("small.txt").orElseThrow().ino(), 0, 1).get(0).chunk()
        .compressedSize();
    assertTrue(proxy.bodyBytes("/blobs/") <= chunk, proxy.bodyBytes("/blobs/") + " > " + chunk);
    // Cached now: reading again (and a neighbour in the same batch) costs nothing.
    assertArrayEquals(small, Files.readAllBytes(mountpoint.resolve("small.txt")));
    Files.readAllBytes(mountpoint.resolve("other.txt"));
    assertEquals(1, proxy.requests("/blobs/"));
  }

  @Test
  void concurrentReadersOfOneChunkShareOneRequest() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<byte[]>> reads = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        reads.add(pool.submit(() -> Files.readAllBytes(mountpoint.resolve("other.txt"))));
      }
      for (Future<byte[]> f : reads) {
        assertEquals("other\n", new String(f.get(), StandardCharsets.UTF_8));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, proxy.requests("/blobs/"));
  }

  @Test
  void alteredBytesInTheRegistryGiveEioForThatFileOnly() throws Exception {
    int ino = meta.lookup("weights.bin").orElseThrow().ino();
    ChunkSlice second = meta.slices(ino, 1 << 20, 1).get(0);
    Path data = registry.blobDataFile(Digest.sha256(blob).toString());
    try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
      long at = second.chunk().compressedOffset() + 100;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0xff);
    }
    assertThrows(IOException.class, () -> Files.readAllBytes(mountpoint.resolve("weights.bin")));
    assertArrayEquals(small, Files.readAllBytes(mountpoint.resolve("small.txt")));
    // The first chunk of the damaged file was fine and is served.
    try (var in = Files.newInputStream(mountpoint.resolve("weights.bin"))) {
      byte[] head = in.readNBytes(4096);
      assertArrayEquals(java.util.Arrays.copyOf(weights, 4096), head);
    }
  }

  @Test
  void outageGivesEioWithinTheBoundAndHeals() throws Exception {
    proxy.inject(FaultProxy.Fault.status("/blobs/", 503, 10_000));
    long start = System.nanoTime();
    assertThrows(IOException.class, () -> Files.readAllBytes(mountpoint.resolve("tail.bin")));
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(seconds < 15, "EIO took " + seconds + " s");
    proxy.reset();
    byte[] back = Files.readAllBytes(mountpoint.resolve("tail.bin"));
    assertArrayEquals(Layers.bytes(3 << 20, 4, false), back);
  }

  @Test
  void aStalledRegistryGivesEioWithinTheBound() throws Exception {
    // small.txt and other.txt share one chunk: reading the first fetches the second's bytes too
    assertEquals(chunkOf("small.txt"), chunkOf("other.txt"));
    assertArrayEquals(small, Files.readAllBytes(mountpoint.resolve("small.txt")));
    proxy.inject(FaultProxy.Fault.stallAfter("/blobs/", 10, Duration.ofSeconds(30), 10_000));
    long start = System.nanoTime();
    assertThrows(IOException.class, () -> Files.readAllBytes(mountpoint.resolve("weights.bin")));
    double seconds = (System.nanoTime() - start) / 1e9;
    assertTrue(seconds < 15, "EIO took " + seconds + " s");
    // Chunks already fetched keep working while the registry still stalls (a read that went to
    // the registry now would stall and fail): other.txt was never read, its chunk was.
    assertArrayEquals(small, Files.readAllBytes(mountpoint.resolve("small.txt")));
    assertArrayEquals("other\n".getBytes(StandardCharsets.UTF_8),
        Files.readAllBytes(mountpoint.resolve("other.txt")));
  }

  private int chunkOf(String file) {
    return meta.slices(meta.lookup(file).orElseThrow().ino(), 0, 1).get(0).chunk().index();
  }

  @Test
  void restartReusesTheLocalMetadata() throws Exception {
    mounter.unmount(mountpoint);
    proxy.reset();
    Path state = dir.resolve("state/meta");
    assertEquals(1, Files.list(state).count(), "metadata kept for remounts");
  }
}
