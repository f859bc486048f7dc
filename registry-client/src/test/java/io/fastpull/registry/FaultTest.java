package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.registry.testing.FaultProxy;
import io.fastpull.registry.testing.FaultProxy.Fault;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retries, timeouts and Range handling through a FaultProxy in front of the real registry. */
class FaultTest {
  @TempDir static Path dir;
  static LocalRegistry registry;
  static FaultProxy proxy;
  static byte[] blob;
  static Digest digest;
  static ImageReference repo;

  final List<Duration> waits = new CopyOnWriteArrayList<>();
  RegistryClient client;

  @BeforeAll
  static void start() throws Exception {
    registry = LocalRegistry.builder(dir.resolve("reg")).start();
    proxy = FaultProxy.start(registry.host());
    blob = new byte[300_000];
    new Random(5).nextBytes(blob);
    try (RegistryClient direct = RegistryClient.builder().plainHttp(registry.host()).build()) {
      digest = direct.pushBlob(ImageReference.parse(registry.host() + "/faulty/app:1"), blob);
    }
    repo = ImageReference.parse(proxy.host() + "/faulty/app:1");
  }

  @AfterAll
  static void stop() {
    if (proxy != null) proxy.close();
    if (registry != null) registry.close();
  }

  @BeforeEach
  void client() {
    proxy.reset();
    // The sleeper records waits instead of sleeping, so backoff and Retry-After cost no test time.
    client = RegistryClient.builder().plainHttp(proxy.host()).readTimeout(Duration.ofMillis(700))
        .retryPolicy(new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(30)))
        .sleeper(waits::add).build();
  }

  @AfterEach
  void close() {
    client.close();
  }

  String blobPath() {
    return "/blobs/" + digest;
  }

  @Test
  void serverErrorsAreRetriedWithBackoff() throws Exception {
    proxy.inject(Fault.status(blobPath(), 503, 1)).inject(Fault.status(blobPath(), 500, 1));
    assertArrayEquals(Arrays.copyOfRange(blob, 10, 20), client.readBlobRange(repo, digest, 10, 10));
    assertEquals(3, proxy.requests(blobPath()));
    assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200)), waits);
  }

  @Test
  void persistentServerErrorIsUnavailableAfterBoundedAttempts() throws Exception {
    proxy.inject(Fault.status(blobPath(), 502, Integer.MAX_VALUE));
    RegistryException e = assertThrows(RegistryException.class, () -> client.readBlob(repo, digest, 1 << 20));
    assertEquals(RegistryException.Kind.UNAVAILABLE, e.kind());
    assertEquals(502, e.status());
    assertEquals(3, proxy.requests(blobPath()));
  }

  @Test
  void tooManyRequestsHonoursRetryAfter() throws Exception {
    proxy.inject(Fault.tooManyRequests(blobPath(), 7, 1));
    assertTrue(client.blobExists(repo, digest));
    assertEquals(List.of(Duration.ofSeconds(7)), waits);
    proxy.inject(Fault.tooManyRequests(blobPath(), 1, Integer.MAX_VALUE));
    RegistryException e = assertThrows(RegistryException.class, () -> client.blobExists(repo, digest));
    assertEquals(RegistryException.Kind.RATE_LIMITED, e.kind());
  }

  @Test
  void resetMidBodyIsRetried() throws Exception {
    proxy.inject(Fault.resetAfter(blobPath(), 50_000, 1));
    assertArrayEquals(Arrays.copyOfRange(blob, 1000, 201_000), client.readBlobRange(repo, digest, 1000, 200_000));
    assertEquals(2, proxy.requests(blobPath()));
    proxy.inject(Fault.resetAfter(blobPath(), 50_000, 1));
    assertArrayEquals(blob, client.readBlob(repo, digest, 1 << 20));
  }

  @Test
  void persistentResetIsATypedError() throws Exception {
    proxy.inject(Fault.resetAfter(blobPath(), 10_000, Integer.MAX_VALUE));
    RegistryException e = assertThrows(RegistryException.class, () -> client.readBlobRange(repo, digest, 0, 100_000));
    assertEquals(RegistryException.Kind.UNREACHABLE, e.kind());
    assertTrue(e.getMessage().contains(proxy.host()), e.getMessage());
    // an open stream is not retried: the break surfaces to the reader
    proxy.reset();
    proxy.inject(Fault.resetAfter(blobPath(), 10_000, 1));
    try (InputStream in = client.openBlob(repo, digest)) {
      RegistryException broken = assertThrows(RegistryException.class, in::readAllBytes);
      assertEquals(RegistryException.Kind.UNREACHABLE, broken.kind());
    }
  }

  @Test
  void stallTimesOutWithinTheBound() throws Exception {
    proxy.inject(Fault.stallAfter(blobPath(), 1000, Duration.ofSeconds(20), Integer.MAX_VALUE));
    long start = System.nanoTime();
    RegistryException e = assertThrows(RegistryException.class, () -> client.readBlobRange(repo, digest, 0, 100_000));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals(RegistryException.Kind.TIMEOUT, e.kind());
    // 3 attempts x 700 ms idle timeout, plus slack for a loaded machine; far below the 20 s stall.
    assertTrue(ms < 8_000, "took " + ms + " ms");
    assertEquals(3, proxy.requests(blobPath()));
  }

  @Test
  void ignoredRangeIsDetected() throws Exception {
    proxy.inject(Fault.ignoreRange(blobPath(), 1));
    RegistryException e = assertThrows(RegistryException.class, () -> client.readBlobRange(repo, digest, 5, 10));
    assertEquals(RegistryException.Kind.RANGE_NOT_SUPPORTED, e.kind());
    assertEquals(200, e.status());
    assertArrayEquals(Arrays.copyOfRange(blob, 5, 15), client.readBlobRange(repo, digest, 5, 10));
  }

  @Test
  void refusedConnectionIsUnreachableAfterBoundedAttempts() throws Exception {
    String dead;
    try (java.net.ServerSocket ss = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      dead = "127.0.0.1:" + ss.getLocalPort();
    }
    try (RegistryClient c = RegistryClient.builder().plainHttp(dead)
        .retryPolicy(new RetryPolicy(3, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(30)))
        .sleeper(waits::add).build()) {
      RegistryException e = assertThrows(RegistryException.class,
          () -> c.readBlobRange(ImageReference.parse(dead + "/x/y:1"), digest, 0, 10));
      assertEquals(RegistryException.Kind.UNREACHABLE, e.kind());
      assertTrue(e.getMessage().contains(dead), e.getMessage());
    }
    assertEquals(2, waits.size(), "3 attempts in all, not 3 per retry layer: " + waits);
  }

  @Test
  void corruptBlobOnTheRegistryIsDigestMismatch() throws Exception {
    byte[] good = "content the registry will corrupt".getBytes();
    ImageReference corrupt = ImageReference.parse(registry.host() + "/faulty/corrupt:1");
    Digest d;
    try (RegistryClient direct = RegistryClient.builder().plainHttp(registry.host()).build()) {
      d = direct.pushBlob(corrupt, good);
      byte[] bad = good.clone();
      bad[3] ^= 1;
      java.nio.file.Files.write(registry.blobDataFile(d.toString()), bad);
      RegistryException e = assertThrows(RegistryException.class, () -> direct.readBlob(corrupt, d, 1000));
      assertEquals(RegistryException.Kind.DIGEST_MISMATCH, e.kind());
      try (InputStream in = direct.openBlob(corrupt, d)) {
        assertEquals(RegistryException.Kind.DIGEST_MISMATCH,
            assertThrows(RegistryException.class, in::readAllBytes).kind());
      }
    }
  }

  @Test
  void corruptManifestOnTheRegistryIsDigestMismatch() throws Exception {
    ImageReference ref = ImageReference.parse(registry.host() + "/faulty/manifest:1");
    try (RegistryClient direct = RegistryClient.builder().plainHttp(registry.host()).build()) {
      byte[] cfg = "{}".getBytes();
      direct.pushBlob(ref, cfg);
      byte[] manifest = new Manifest(2, MediaTypes.OCI_MANIFEST, null, Descriptor.of(MediaTypes.OCI_CONFIG, cfg),
          List.of(), null, java.util.Map.of("note", "aaaa")).toJson();
      Digest d = direct.pushManifest(ref, MediaTypes.OCI_MANIFEST, manifest);
      String text = new String(manifest, java.nio.charset.StandardCharsets.UTF_8).replace("aaaa", "aaab");
      java.nio.file.Files.writeString(registry.blobDataFile(d.toString()), text);
      for (ImageReference r : List.of(ref, ref.withDigest(d))) {
        RegistryException e = assertThrows(RegistryException.class, () -> direct.fetchManifest(r));
        assertEquals(RegistryException.Kind.DIGEST_MISMATCH, e.kind(), r.toString());
      }
    }
  }
}
