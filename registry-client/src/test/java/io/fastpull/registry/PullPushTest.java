package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.registry.testing.LocalRegistry;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Push and pull against the real registry in open mode. */
class PullPushTest {
  @TempDir static Path dir;
  static LocalRegistry registry;
  static RegistryClient client;

  @BeforeAll
  static void start() throws Exception {
    registry = LocalRegistry.builder(dir.resolve("reg")).start();
    client = RegistryClient.builder().plainHttp(registry.host()).chunkSize(1000).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) client.close();
    if (registry != null) registry.close();
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  ImageReference ref(String s) {
    return ImageReference.parse(registry.host() + "/" + s);
  }

  @Test
  void pushesImageAndIndexThenPullsByPlatform() throws Exception {
    ImageReference repo = ref("app/multi:1");
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes();
    byte[] layer = random(5000, 1);
    Digest configDigest = client.pushBlob(repo, config);
    Digest layerDigest = client.pushBlob(repo, layer);
    Manifest m = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, config),
        List.of(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, layer)));
    byte[] manifestBytes = m.toJson();
    Digest md = client.pushManifest(repo.withDigest(Digest.sha256(manifestBytes)), MediaTypes.OCI_MANIFEST, manifestBytes);
    Descriptor amd = Descriptor.of(MediaTypes.OCI_MANIFEST, manifestBytes).withPlatform(Platform.parse("linux/amd64"));
    byte[] arm = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, config), List.of()).toJson();
    client.pushManifest(repo.withDigest(Digest.sha256(arm)), MediaTypes.OCI_MANIFEST, arm);
    Descriptor armDesc = Descriptor.of(MediaTypes.OCI_MANIFEST, arm).withPlatform(Platform.parse("linux/arm64/v8"));
    byte[] index = Index.oci(List.of(armDesc, amd)).toJson();
    Digest indexDigest = client.pushManifest(repo, MediaTypes.OCI_INDEX, index);

    Descriptor resolved = client.resolve(repo);
    assertEquals(indexDigest, resolved.digest());
    assertEquals(MediaTypes.OCI_INDEX, resolved.mediaType());
    assertEquals(index.length, resolved.size());

    ManifestContent top = client.fetchManifest(repo);
    assertTrue(top.isIndex());
    assertArrayEquals(index, top.bytes());
    assertEquals(2, top.index().manifests().size());

    ManifestContent chosen = client.fetchImageManifest(repo, Platform.parse("linux/amd64"));
    assertEquals(md, chosen.digest());
    Manifest parsed = chosen.manifest();
    assertEquals(layerDigest, parsed.layers().get(0).digest());
    assertEquals(configDigest, parsed.config().digest());
    assertEquals(Digest.sha256(arm), client.fetchImageManifest(repo, Platform.parse("linux/arm64")).digest());
    RegistryException none = assertThrows(RegistryException.class,
        () -> client.fetchImageManifest(repo, Platform.parse("linux/s390x")));
    assertEquals(RegistryException.Kind.NOT_FOUND, none.kind());

    assertArrayEquals(layer, client.readBlob(repo, layerDigest, 1 << 20));
    try (InputStream in = client.openBlob(repo, layerDigest)) {
      assertArrayEquals(layer, in.readAllBytes());
    }
  }

  @Test
  void dockerSchema2ManifestIsResolvedWithItsMediaType() throws Exception {
    ImageReference repo = ref("app/docker:v2");
    byte[] config = "{}".getBytes();
    client.pushBlob(repo, config);
    String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.DOCKER_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":2},\"layers\":[]}";
    client.pushManifest(repo, MediaTypes.DOCKER_MANIFEST, json.getBytes());
    Descriptor d = client.resolve(repo);
    assertEquals(MediaTypes.DOCKER_MANIFEST, d.mediaType());
    ManifestContent c = client.fetchManifest(repo.withDigest(d.digest()));
    assertEquals(Digest.sha256(config), c.manifest().config().digest());
  }

  @Test
  void rangedReadsReportArrivalInOrderUpToTheWholeRange() throws Exception {
    ImageReference repo = ref("app/arrival:1");
    byte[] blob = random(3 << 20, 9);
    Digest d = client.pushBlob(repo, blob);
    byte[] dst = new byte[(2 << 20) + 7];
    java.util.List<Integer> seen = new java.util.ArrayList<>();
    client.readBlobRange(repo, d, 1000, dst, 7, 2 << 20, seen::add);
    assertArrayEquals(Arrays.copyOfRange(blob, 1000, 1000 + (2 << 20)),
        Arrays.copyOfRange(dst, 7, dst.length));
    assertEquals(2 << 20, seen.get(seen.size() - 1));
    for (int i = 1; i < seen.size(); i++) {
      assertTrue(seen.get(i) > seen.get(i - 1), seen.toString());
    }
    assertTrue(seen.size() >= 8, "reported in steps of at most 256 KiB: " + seen);
  }

  @Test
  void rangedReadsAtBoundaries() throws Exception {
    ImageReference repo = ref("app/ranges:1");
    byte[] blob = random(10_000, 2);
    Digest d = client.pushBlob(repo, blob);
    assertArrayEquals(new byte[] {blob[0]}, client.readBlobRange(repo, d, 0, 1));
    assertArrayEquals(new byte[] {blob[9999]}, client.readBlobRange(repo, d, 9999, 1));
    assertArrayEquals(blob, client.readBlobRange(repo, d, 0, 10_000));
    assertArrayEquals(Arrays.copyOfRange(blob, 4095, 8193), client.readBlobRange(repo, d, 4095, 4098));
    byte[] dst = new byte[20];
    client.readBlobRange(repo, d, 100, dst, 5, 10);
    assertArrayEquals(Arrays.copyOfRange(blob, 100, 110), Arrays.copyOfRange(dst, 5, 15));

    RegistryException pastEnd = assertThrows(RegistryException.class, () -> client.readBlobRange(repo, d, 10_000, 1));
    assertEquals(RegistryException.Kind.OUT_OF_RANGE, pastEnd.kind());
    RegistryException straddling = assertThrows(RegistryException.class, () -> client.readBlobRange(repo, d, 9990, 11));
    assertEquals(RegistryException.Kind.OUT_OF_RANGE, straddling.kind());
    assertTrue(registry.countRequests("GET", "/blobs/" + d) >= 5, registry.accessLog().toString());
  }

  @Test
  void missingBlobIsNotFoundWithOciCode() throws Exception {
    ImageReference repo = ref("app/missing:1");
    client.pushBlob(repo, new byte[] {1});
    Digest absent = Digest.sha256(new byte[] {2});
    assertFalse(client.blobExists(repo, absent));
    RegistryException e = assertThrows(RegistryException.class, () -> client.readBlob(repo, absent, 100));
    assertEquals(RegistryException.Kind.NOT_FOUND, e.kind());
    assertEquals(404, e.status());
    assertEquals("BLOB_UNKNOWN", e.errorCode().orElseThrow());
    assertTrue(e.getMessage().contains(registry.host()) && e.getMessage().contains("app/missing"), e.getMessage());
    RegistryException m = assertThrows(RegistryException.class, () -> client.resolve(ref("app/missing:nope")));
    assertEquals(RegistryException.Kind.NOT_FOUND, m.kind());
  }

  @Test
  void chunkedUploadCrossesChunkBoundaries() throws Exception {
    ImageReference repo = ref("app/chunked:1");
    for (int size : new int[] {0, 1, 999, 1000, 1001, 3500}) {
      byte[] blob = random(size, size);
      Digest d = Digest.sha256(blob);
      client.pushBlobChunked(repo, d, new ByteArrayInputStream(blob));
      assertTrue(client.blobExists(repo, d));
      assertArrayEquals(blob, client.readBlob(repo, d, 1 << 20), "size " + size);
    }
    assertTrue(registry.countRequests("PATCH", "/blobs/uploads/") >= 4 + 1);
  }

  @Test
  void chunkedUploadWithWrongDigestIsRejected() throws Exception {
    ImageReference repo = ref("app/chunked-bad:1");
    Digest wrong = Digest.sha256(new byte[] {9});
    RegistryException e = assertThrows(RegistryException.class,
        () -> client.pushBlobChunked(repo, wrong, new ByteArrayInputStream(random(2500, 3))));
    assertEquals(RegistryException.Kind.DIGEST_MISMATCH, e.kind());
    assertFalse(client.blobExists(repo, wrong));
  }

  @Test
  void pushFromFileAndMountAcrossRepositories() throws Exception {
    ImageReference a = ref("team/a:1");
    ImageReference b = ref("team/b:1");
    byte[] blob = random(70_000, 4);
    Path f = dir.resolve("layer.bin");
    Files.write(f, blob);
    Digest d = Digest.sha256(blob);
    client.pushBlob(a, d, f);
    assertFalse(client.blobExists(b, d));
    assertTrue(client.mountBlob(b, "team/a", d));
    assertTrue(client.blobExists(b, d));
    assertArrayEquals(blob, client.readBlob(b, d, 1 << 20));
    assertFalse(client.mountBlob(ref("team/c:1"), "team/a", Digest.sha256(new byte[] {7})));
  }

  @Test
  void closedClientRefusesWork() throws Exception {
    RegistryClient c = RegistryClient.builder().plainHttp(registry.host()).build();
    c.close();
    c.close();
    assertThrows(IllegalStateException.class, () -> c.resolve(ref("x/y:1")));
  }

  @Test
  void concurrentRangedReadsFromOneClient() throws Exception {
    ImageReference repo = ref("app/concurrent:1");
    byte[] blob = random(256 * 1024, 6);
    Digest d = client.pushBlob(repo, blob);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 64; i++) {
        int off = i * 4000;
        results.add(pool.submit(() -> Arrays.equals(Arrays.copyOfRange(blob, off, off + 4096),
            client.readBlobRange(repo, d, off, 4096))));
      }
      for (var f : results) assertTrue(f.get(30, java.util.concurrent.TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void perHostLimitHoldsASlotWhileABlobStreamIsOpen() throws Exception {
    ImageReference repo = ref("app/limit:1");
    Digest d = client.pushBlob(repo, random(100_000, 7));
    try (RegistryClient one = RegistryClient.builder().plainHttp(registry.host()).maxRequestsPerHost(1).build()) {
      java.util.concurrent.CompletableFuture<Boolean> second;
      try (InputStream open = one.openBlob(repo, d)) {
        assertTrue(open.read() >= 0);
        second = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
          try {
            return one.blobExists(repo, d);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
        // The call queues for the slot (then nothing but the stream's close can release it) or,
        // were the limit broken, completes: wait for one or the other, not for a time.
        for (int i = 0; i < 2000 && !second.isDone() && one.waitingForSlot() == 0; i++) {
          Thread.sleep(5);
        }
        assertFalse(second.isDone(), "the only slot is held by the open stream");
        assertEquals(1, one.waitingForSlot(), "the second call waits for the slot");
      }
      assertTrue(second.get(10, java.util.concurrent.TimeUnit.SECONDS));
    }
  }
}
