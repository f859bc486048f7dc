package io.fastpull.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.FaultProxy;
import io.fastpull.registry.testing.LocalRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver against a real registry behind a counting proxy: the newest profile wins, results
 * ("none" too) are reused until they expire, and the cache stays within its bound.
 */
class ProfileResolverTest {
  private static final Duration TTL = Duration.ofMinutes(10);
  @TempDir Path dir;
  private LocalRegistry registry;
  private FaultProxy proxy;
  private RegistryClient client;
  private ExecutorService executor;
  private final StepClock clock = new StepClock();

  /** A clock the test moves by hand. */
  static final class StepClock extends Clock {
    Instant now = Instant.parse("2025-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @BeforeEach
  void start() throws Exception {
    registry = LocalRegistry.builder(dir.resolve("registry")).start();
    proxy = FaultProxy.start(registry.host());
    client = RegistryClient.builder().plainHttp(proxy.host()).build();
    executor = Executors.newSingleThreadExecutor();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (executor != null) {
        executor.shutdownNow();
      }
      if (client != null) {
        client.close();
      }
      if (proxy != null) {
        proxy.close();
      }
    } finally {
      if (registry != null) {
        registry.close();
      }
    }
  }

  /** An image (its manifest descriptor) in {@code repo}; contents vary with {@code name}. */
  private Descriptor image(ImageReference repo, String name) throws Exception {
    byte[] config = ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8);
    Digest c = client.pushBlob(repo, config);
    byte[] manifest = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, c, config.length),
        List.of()).toJson();
    client.pushManifest(repo, MediaTypes.OCI_MANIFEST, manifest);
    return Descriptor.of(MediaTypes.OCI_MANIFEST, manifest);
  }

  private void profile(ImageReference repo, Descriptor image, String created, int... chunks)
      throws Exception {
    StartupProfile p = new StartupProfile(StartupProfile.SCHEMA_VERSION,
        image.digest().toString(), List.of(new StartupProfile.Layer("sha256:" + "a".repeat(64),
            chunks)));
    client.pushReferrer(repo, image, StartupProfile.ARTIFACT_TYPE, StartupProfile.MEDIA_TYPE,
        p.toJson(), Map.of("org.opencontainers.image.created", created));
  }

  private int[] chunks(Optional<StartupProfile> p) {
    return p.orElseThrow().layers().get(0).chunks();
  }

  @Test
  void theNewestProfileWinsAndIsReused() throws Exception {
    ImageReference repo = ImageReference.parse(proxy.host() + "/fastpull/app:1");
    Descriptor image = image(repo, "app");
    // pushed last but older: the date decides, not the order
    profile(repo, image, "2025-03-01T10:00:00Z", 5, 6);
    profile(repo, image, "2024-12-31T23:59:59+01:00", 1, 2);
    ProfileResolver r = new ProfileResolver(client, executor, clock, TTL, 8);
    proxy.reset();
    assertArrayEquals(new int[] {5, 6}, chunks(r.lookup(repo, image.digest()).join()));
    long asked = proxy.requests("/v2/");
    assertTrue(asked > 0);
    assertArrayEquals(new int[] {5, 6}, chunks(r.lookup(repo, image.digest()).join()));
    assertEquals(asked, proxy.requests("/v2/"), "the cached result is reused");

    clock.now = clock.now.plus(TTL);
    profile(repo, image, "2025-06-01T00:00:00Z", 7);
    assertArrayEquals(new int[] {7}, chunks(r.lookup(repo, image.digest()).join()),
        "an expired result is looked up again");
  }

  @Test
  void noProfileIsCachedTooAndTheCacheIsBounded() throws Exception {
    ImageReference repo = ImageReference.parse(proxy.host() + "/fastpull/plain:1");
    Descriptor a = image(repo, "a");
    Descriptor b = image(repo, "b");
    ProfileResolver r = new ProfileResolver(client, executor, clock, TTL, 1);
    proxy.reset();
    assertEquals(Optional.empty(), r.lookup(repo, a.digest()).join());
    long asked = proxy.requests("/v2/");
    assertTrue(asked > 0);
    // Kept for the whole TTL: a failed lookup (also empty) would be asked again after a minute.
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    assertEquals(Optional.empty(), r.lookup(repo, a.digest()).join());
    assertEquals(asked, proxy.requests("/v2/"), "\"none\" is cached as an answer, not a failure");

    assertEquals(Optional.empty(), r.lookup(repo, b.digest()).join());
    long afterB = proxy.requests("/v2/");
    assertEquals(Optional.empty(), r.lookup(repo, a.digest()).join());
    assertTrue(proxy.requests("/v2/") > afterB, "a was evicted to keep one entry");
  }

  @Test
  void aProfileForAnotherImageIsRefused() throws Exception {
    ImageReference repo = ImageReference.parse(proxy.host() + "/fastpull/mixed:1");
    Descriptor image = image(repo, "mixed");
    StartupProfile other = new StartupProfile(StartupProfile.SCHEMA_VERSION,
        "sha256:" + "b".repeat(64), List.of());
    client.pushReferrer(repo, image, StartupProfile.ARTIFACT_TYPE, StartupProfile.MEDIA_TYPE,
        other.toJson(), Map.of());
    ProfileResolver r = new ProfileResolver(client, executor, clock, TTL, 8);
    proxy.reset();
    assertEquals(Optional.empty(), r.lookup(repo, image.digest()).join());
    // It was found and read, then refused: not "no profile" and not an unreachable registry.
    assertTrue(proxy.requests("/blobs/" + Digest.sha256(other.toJson())) > 0,
        "the profile was read");
    // A refusal is a failed lookup, kept a minute only: the image's own profile, pushed since,
    // is found after that minute (well within the TTL of an answer).
    profile(repo, image, "2999-01-01T00:00:00Z", 3);
    assertEquals(Optional.empty(), r.lookup(repo, image.digest()).join(), "still cached");
    clock.now = clock.now.plus(Duration.ofMinutes(2));
    assertArrayEquals(new int[] {3}, chunks(r.lookup(repo, image.digest()).join()));
  }
}
