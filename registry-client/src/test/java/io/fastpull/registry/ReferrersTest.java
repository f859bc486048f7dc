package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fastpull.registry.auth.CredentialStore;
import io.fastpull.registry.auth.Credentials;
import io.fastpull.registry.testing.LocalRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OCI 1.1 referrers against the real registry (distribution 2.8), which has no referrers API: the client
 * must fall back to the referrers tag, both to list and to record referrers.
 */
class ReferrersTest {
  static final String PROFILE = "application/vnd.fastpull.startup-profile.v1";
  static final String PROFILE_BLOB = "application/vnd.fastpull.startup-profile.v1+json";
  static final String SBOM = "application/vnd.example.sbom.v1";
  static final Instant NOW = Instant.parse("2026-01-02T03:04:05.678Z");

  @TempDir static Path dir;
  static LocalRegistry registry;
  static RegistryClient client;

  @BeforeAll
  static void start() throws Exception {
    registry = LocalRegistry.builder(dir.resolve("reg")).start();
    client = RegistryClient.builder().plainHttp(registry.host()).clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
  }

  @AfterAll
  static void stop() {
    if (client != null) client.close();
    if (registry != null) registry.close();
  }

  static ImageReference ref(String s) {
    return ImageReference.parse(registry.host() + "/" + s);
  }

  /** Pushes a one-layer image under {@code repo}'s tag; returns its manifest descriptor. */
  static Descriptor pushImage(ImageReference repo, String seed) throws Exception {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":\"" + seed + "\"}").getBytes();
    byte[] layer = ("layer " + seed).getBytes();
    client.pushBlob(repo, config);
    client.pushBlob(repo, layer);
    byte[] m = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, config),
        List.of(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, layer))).toJson();
    client.pushManifest(repo, MediaTypes.OCI_MANIFEST, m);
    return Descriptor.of(MediaTypes.OCI_MANIFEST, m);
  }

  @Test
  void noReferrersIsAnEmptyList() throws Exception {
    ImageReference repo = ref("ref/none:1");
    Descriptor image = pushImage(repo, "none");
    assertEquals(List.of(), client.referrers(repo, image.digest(), null));
    assertEquals(List.of(), client.referrers(repo, image.digest(), PROFILE));
    // A repository that does not exist has no referrers either.
    assertEquals(List.of(), client.referrers(ref("ref/never-pushed:1"), image.digest(), null));
    // distribution 2.8 has no referrers route (plain-text 404); the client then looked for the tag.
    assertTrue(registry.countRequests("GET", "/v2/ref/none/referrers/" + image.digest()) >= 1);
    assertTrue(registry.countRequests("GET", "/v2/ref/none/manifests/" + Referrers.tag(image.digest())) >= 1);
  }

  @Test
  void twoArtifactTypesAreListedThroughTheTagAndFiltered() throws Exception {
    ImageReference repo = ref("ref/two:1");
    Descriptor image = pushImage(repo, "two");
    byte[] profile = "{\"schemaVersion\":1,\"layers\":[]}".getBytes();
    Descriptor p = client.pushReferrer(repo, image, PROFILE, PROFILE_BLOB, profile, Map.of("k", "v"));
    Descriptor s = client.pushReferrer(repo, image, SBOM, "application/json", "{\"sbom\":true}".getBytes(), null);

    assertEquals(MediaTypes.OCI_MANIFEST, p.mediaType());
    assertEquals(PROFILE, p.artifactType());
    assertEquals(Map.of("k", "v", Referrers.CREATED, "2026-01-02T03:04:05Z"), p.annotations());
    assertEquals(Set.of(p, s), Set.copyOf(client.referrers(repo, image.digest(), null)));
    assertEquals(List.of(p), client.referrers(repo, image.digest(), PROFILE));
    assertEquals(List.of(s), client.referrers(repo, image.digest(), SBOM));
    assertEquals(List.of(), client.referrers(repo, image.digest(), "application/vnd.other"));

    // The artifact manifest as stored: by digest, OCI 1.1 fields intact, payload readable.
    ManifestContent stored = client.fetchManifest(repo.withDigest(p.digest()));
    Manifest m = stored.manifest();
    assertEquals(p.size(), stored.bytes().length);
    assertEquals(PROFILE, m.artifactType());
    assertEquals(image, m.subject());
    assertEquals(Descriptor.of(MediaTypes.OCI_EMPTY, "{}".getBytes()), m.config());
    assertEquals(List.of(Descriptor.of(PROFILE_BLOB, profile)), m.layers());
    assertEquals(p.annotations(), m.annotations());
    assertArrayEquals(profile, client.readBlob(repo, m.layers().get(0).digest(), 1 << 20));
    assertArrayEquals("{}".getBytes(), client.readBlob(repo, m.config().digest(), 16));
  }

  @Test
  void theReferrersTagHoldsAValidImageIndex() throws Exception {
    ImageReference repo = ref("ref/tag:1");
    Descriptor image = pushImage(repo, "tag");
    Descriptor p = client.pushReferrer(repo, image, PROFILE, PROFILE_BLOB, "x".getBytes(), Map.of("a", "1"));
    String tag = "sha256-" + image.digest().hex();
    assertEquals(tag, Referrers.tag(image.digest()));

    ManifestContent top = client.fetchManifest(repo.withTag(tag));
    assertEquals(MediaTypes.OCI_INDEX, top.mediaType());
    JsonNode json = Json.MAPPER.readTree(top.bytes());
    assertEquals(2, json.get("schemaVersion").asInt());
    assertEquals(MediaTypes.OCI_INDEX, json.get("mediaType").asText());
    assertEquals(1, json.get("manifests").size());
    JsonNode entry = json.get("manifests").get(0);
    assertEquals(MediaTypes.OCI_MANIFEST, entry.get("mediaType").asText());
    assertEquals(p.digest().toString(), entry.get("digest").asText());
    assertEquals(p.size(), entry.get("size").asLong());
    assertEquals(PROFILE, entry.get("artifactType").asText());
    assertEquals("1", entry.get("annotations").get("a").asText());
    assertFalse(entry.has("platform"));
    assertEquals(List.of(p), top.index().manifests());
  }

  @Test
  void pushingTheSameArtifactTwiceKeepsOneEntry() throws Exception {
    ImageReference repo = ref("ref/twice:1");
    Descriptor image = pushImage(repo, "twice");
    Descriptor first = client.pushReferrer(repo, image, PROFILE, PROFILE_BLOB, "same".getBytes(), Map.of());
    // The subject as an index entry (with a platform) names the same subject: same manifest bytes.
    Descriptor asEntry = image.withPlatform(Platform.parse("linux/amd64"));
    Descriptor second = client.pushReferrer(repo, asEntry, PROFILE, PROFILE_BLOB, "same".getBytes(), Map.of());
    assertEquals(first, second);
    assertEquals(List.of(first), client.referrers(repo, image.digest(), null));
    // The second push found its entry already listed and did not rewrite the tag.
    assertEquals(1, registry.countRequests("PUT", "/v2/ref/twice/manifests/" + Referrers.tag(image.digest())));

    // Another creation time is another manifest: a second entry.
    Descriptor later = client.pushReferrer(repo, image, PROFILE, PROFILE_BLOB, "same".getBytes(),
        Map.of(Referrers.CREATED, "2027-01-01T00:00:00Z"));
    assertEquals(Set.of(first, later), Set.copyOf(client.referrers(repo, image.digest(), PROFILE)));
  }

  @Test
  void referrersOfDifferentSubjectsStayApart() throws Exception {
    ImageReference repo = ref("ref/apart:1");
    Descriptor a = pushImage(repo, "a");
    Descriptor b = pushImage(repo.withTag("2"), "b");
    Descriptor ra = client.pushReferrer(repo, a, PROFILE, PROFILE_BLOB, "for a".getBytes(), null);
    Descriptor rb = client.pushReferrer(repo, b, PROFILE, PROFILE_BLOB, "for b".getBytes(), null);
    assertEquals(List.of(ra), client.referrers(repo, a.digest(), null));
    assertEquals(List.of(rb), client.referrers(repo, b.digest(), null));
  }

  @Test
  void aDeletedReferrerIsDroppedFromTheTagOnTheNextPush() throws Exception {
    ImageReference repo = ref("ref/deleted:1");
    Descriptor image = pushImage(repo, "deleted");
    Descriptor gone = client.pushReferrer(repo, image, SBOM, "application/json", "{}x".getBytes(), null);
    HttpResponse<Void> del = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(registry.url() + "/v2/ref/deleted/manifests/" + gone.digest())).DELETE().build(),
        HttpResponse.BodyHandlers.discarding());
    assertEquals(202, del.statusCode());
    // The tag still lists it: the registry does not maintain the tag.
    assertEquals(List.of(gone), client.referrers(repo, image.digest(), null));

    // distribution rejects an index naming a missing manifest; the push prunes the dead entry and retries.
    Descriptor kept = client.pushReferrer(repo, image, PROFILE, PROFILE_BLOB, "kept".getBytes(), null);
    assertEquals(List.of(kept), client.referrers(repo, image.digest(), null));
  }

  @Test
  void aTagThatIsNotAnIndexIsAProtocolError() throws Exception {
    ImageReference repo = ref("ref/clash:1");
    Descriptor image = pushImage(repo, "clash");
    Descriptor other = pushImage(repo.withTag(Referrers.tag(image.digest())), "clash-other");
    assertFalse(other.digest().equals(image.digest()));
    RegistryException e = assertThrows(RegistryException.class, () -> client.referrers(repo, image.digest(), null));
    assertEquals(RegistryException.Kind.PROTOCOL, e.kind());
    RegistryException p = assertThrows(RegistryException.class,
        () -> client.pushReferrer(repo, image, PROFILE, PROFILE_BLOB, "x".getBytes(), null));
    assertEquals(RegistryException.Kind.PROTOCOL, p.kind());
  }

  @Test
  void authAndNetworkFailuresAreTypedErrorsNotEmptyLists(@TempDir Path own) throws Exception {
    Digest subject = Digest.sha256("subject".getBytes());
    Descriptor subjectDesc = Descriptor.of(MediaTypes.OCI_MANIFEST, subject, 7);
    try (LocalRegistry locked = LocalRegistry.builder(own.resolve("locked")).basicAuth("carol", "pw-Carol-1").start();
        RegistryClient anon = RegistryClient.builder().plainHttp(locked.host()).build();
        RegistryClient carol = RegistryClient.builder().plainHttp(locked.host())
            .credentials(CredentialStore.of(Map.of(locked.host(), new Credentials("carol", "pw-Carol-1")))).build()) {
      ImageReference repo = ImageReference.parse(locked.host() + "/private/app:1");
      assertEquals(RegistryException.Kind.UNAUTHORIZED,
          assertThrows(RegistryException.class, () -> anon.referrers(repo, subject, null)).kind());
      assertEquals(RegistryException.Kind.UNAUTHORIZED, assertThrows(RegistryException.class,
          () -> anon.pushReferrer(repo, subjectDesc, PROFILE, PROFILE_BLOB, "x".getBytes(), null)).kind());
      // With credentials both work (distribution does not require the subject to exist).
      Descriptor r = carol.pushReferrer(repo, subjectDesc, PROFILE, PROFILE_BLOB, "x".getBytes(), null);
      assertEquals(List.of(r), carol.referrers(repo, subject, PROFILE));
    }
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    String nowhere = "127.0.0.1:" + closedPort;
    try (RegistryClient c = RegistryClient.builder().plainHttp(nowhere)
        .retryPolicy(new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO)).build()) {
      RegistryException e = assertThrows(RegistryException.class,
          () -> c.referrers(ImageReference.parse(nowhere + "/x:1"), subject, null));
      assertEquals(RegistryException.Kind.UNREACHABLE, e.kind());
    }
  }

  @Test
  void tagNamesFollowTheSpecTruncation() {
    Digest s256 = Digest.parse("sha256:" + "ab".repeat(32));
    assertEquals("sha256-" + "ab".repeat(32), Referrers.tag(s256));
    Digest s512 = Digest.parse("sha512:" + "0123456789abcdef".repeat(8));
    String t = Referrers.tag(s512);
    assertEquals("sha512-" + "0123456789abcdef".repeat(4), t);
    assertTrue(t.length() <= 128);
    // A valid tag: usable in a reference.
    assertEquals(t, ImageReference.parse("127.0.0.1:1/x:" + t).tag());
  }

  @Test
  void descriptorsKeepArtifactTypeAndOmitItWhenNull() throws Exception {
    Descriptor plain = Descriptor.of(MediaTypes.OCI_MANIFEST, "m".getBytes());
    String json = new String(Json.write(plain), StandardCharsets.UTF_8);
    assertFalse(json.contains("artifactType"), json);
    assertNull(Json.read(json.getBytes(), Descriptor.class, "d").artifactType());
    // The six-argument constructor of earlier releases still works and means "no artifactType".
    assertEquals(plain, new Descriptor(plain.mediaType(), plain.digest(), plain.size(), null, null, null));

    Descriptor typed = plain.withArtifactType(PROFILE).withAnnotations(Map.of("b", "2", "a", "1"));
    assertEquals(typed, Json.read(Json.write(typed), Descriptor.class, "d"));
    assertThrows(IllegalArgumentException.class, () -> plain.withArtifactType(""));

    String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"artifactType\":\"t/x\","
        + "\"manifests\":[" + json + "],\"subject\":" + json + ",\"annotations\":{\"z\":\"1\"}}";
    Index parsed = Json.read(index.getBytes(), Index.class, "index");
    assertEquals("t/x", parsed.artifactType());
    assertEquals(plain, parsed.subject());
    assertEquals(index, new String(parsed.toJson(), StandardCharsets.UTF_8));
    // An index without the OCI 1.1 fields serializes as before.
    assertEquals("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[" + json + "]}",
        new String(new Index(2, MediaTypes.OCI_INDEX, List.of(plain), null).toJson(), StandardCharsets.UTF_8));
    assertEquals(List.of("a", "b"), Json.MAPPER.readTree(Json.write(typed)).get("annotations").properties().stream()
        .map(Map.Entry::getKey).collect(Collectors.toList()));
  }
}
