package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** References, digests, platforms, index selection, challenges and error messages. */
class ValuesTest {
  static final String HEX = "a".repeat(64);

  @Test
  void dockerHubDefaults() {
    ImageReference r = ImageReference.parse("busybox");
    assertEquals("docker.io", r.registry());
    assertEquals("library/busybox", r.repository());
    assertEquals("latest", r.tag());
    assertNull(r.digest());
    assertEquals("registry-1.docker.io", r.defaultEndpointHost());
    assertEquals("docker.io/library/busybox:latest", r.toString());
    assertEquals("docker.io/user/app:1", ImageReference.parse("user/app:1").toString());
    assertEquals("docker.io/library/alpine:3", ImageReference.parse("index.docker.io/alpine:3").toString());
  }

  @Test
  void registriesPortsTagsAndDigests() {
    ImageReference r = ImageReference.parse("localhost:5000/a/b/c@sha256:" + HEX);
    assertEquals("localhost:5000", r.registry());
    assertEquals("a/b/c", r.repository());
    assertNull(r.tag());
    assertEquals("sha256:" + HEX, r.manifestReference());
    ImageReference both = ImageReference.parse("ghcr.io/o/p:v1.2@sha256:" + HEX);
    assertEquals("v1.2", both.tag());
    assertEquals("sha256:" + HEX, both.manifestReference());
    assertEquals("ghcr.io/o/p:v1.2@sha256:" + HEX, both.toString());
    assertEquals(both, ImageReference.parse(both.toString()));
    assertEquals("localhost", ImageReference.parse("localhost/x").registry());
    assertEquals("127.0.0.1:5000/x:latest", ImageReference.parse("127.0.0.1:5000/x").toString());
  }

  @Test
  void badReferencesNameTheProblem() {
    for (String bad : List.of("", "UPPER/case", "host:5000/x:bad tag", "x@sha256:short", "x@md5:" + HEX, "a//b")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageReference.parse(bad), bad);
      assertFalse(e.getMessage().isEmpty());
    }
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:XYZ")).getMessage().contains("XYZ"));
  }

  @Test
  void digests() {
    Digest d = Digest.sha256(new byte[0]);
    assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", d.toString());
    assertEquals(d, Digest.parse(d.toString()));
    Digest s512 = Digest.parse("sha512:" + "0".repeat(128));
    assertEquals("SHA-512", s512.newMessageDigest().getAlgorithm());
  }

  @Test
  void indexSelectsByPlatformAndVariant() {
    Descriptor amd = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.parse("sha256:" + "1".repeat(64)), 1)
        .withPlatform(Platform.parse("linux/amd64"));
    Descriptor armV7 = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.parse("sha256:" + "2".repeat(64)), 1)
        .withPlatform(Platform.parse("linux/arm/v7"));
    Descriptor armV6 = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.parse("sha256:" + "3".repeat(64)), 1)
        .withPlatform(Platform.parse("linux/arm/v6"));
    Descriptor arm64 = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.parse("sha256:" + "4".repeat(64)), 1)
        .withPlatform(new Platform("arm64", "linux", null, null, null));
    Index index = Index.oci(List.of(amd, armV6, armV7, arm64));
    assertEquals(amd, index.select(Platform.parse("linux/amd64")).orElseThrow());
    assertEquals(armV7, index.select(Platform.parse("linux/arm/v7")).orElseThrow());
    assertEquals(armV6, index.select(Platform.parse("linux/arm")).orElseThrow());
    assertEquals(arm64, index.select(Platform.parse("linux/arm64/v8")).orElseThrow());
    assertTrue(index.select(Platform.parse("windows/amd64")).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> Platform.parse("linux"));
  }

  @Test
  void manifestJsonRoundTripKeepsPlatformKeys() throws Exception {
    Descriptor d = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.parse("sha256:" + HEX), 5)
        .withPlatform(new Platform("amd64", "windows", null, "10.0.1", List.of("win32k")));
    byte[] json = Index.oci(List.of(d)).toJson();
    String text = new String(json);
    assertTrue(text.contains("\"os.version\":\"10.0.1\"") && !text.contains("urls"), text);
    ManifestContent mc = new ManifestContent(MediaTypes.OCI_INDEX, Digest.sha256(json), json);
    assertEquals(d, mc.index().manifests().get(0));
    assertEquals(RegistryException.Kind.PROTOCOL, assertThrows(RegistryException.class, mc::manifest).kind());
  }

  @Test
  void challengesParse() {
    List<Challenge> cs = Challenge.parse(List.of(
        "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"",
        "Basic realm=\"x\", charset=UTF-8"));
    assertEquals(2, cs.size());
    assertEquals("bearer", cs.get(0).scheme());
    assertEquals("https://auth.example/token", cs.get(0).param("realm"));
    assertEquals("repository:a/b:pull,push", cs.get(0).param("scope"));
    assertEquals("basic", cs.get(1).scheme());
    assertEquals("UTF-8", cs.get(1).param("charset"));
    assertEquals(2, Challenge.parse(List.of("Basic realm=\"r\", Bearer realm=\"t\"")).size());
  }

  @Test
  void errorMessagesCarryContextAndAdvice() {
    RegistryException e = RegistryException.builder(RegistryException.Kind.NOT_FOUND, "GET blob x")
        .status(404).errorCode("BLOB_UNKNOWN").host("h:1").repository("r/s").detail("blob unknown").build();
    assertEquals("GET blob x: NOT_FOUND (host=h:1 repository=r/s status=404 code=BLOB_UNKNOWN): blob unknown. "
        + "Check the repository name, tag or digest.", e.getMessage());
    assertFalse(e.isTransient());
    assertTrue(RegistryException.builder(RegistryException.Kind.TIMEOUT, "x").build().isTransient());
  }

  @Test
  void retryBackoffDoublesUpToTheCap() {
    RetryPolicy p = new RetryPolicy(5, java.time.Duration.ofMillis(100), java.time.Duration.ofMillis(350), java.time.Duration.ZERO);
    assertEquals(List.of(100L, 200L, 350L, 350L),
        List.of(p.backoff(1).toMillis(), p.backoff(2).toMillis(), p.backoff(3).toMillis(), p.backoff(4).toMillis()));
  }

  @Test
  void plainHttpEntriesAreHostOrHostPortAndMatchAccordingly() {
    PlainHttpHosts hosts = PlainHttpHosts.parse(List.of("127.0.0.1", "registry.local:5000", "http://Build.Local:8080/",
        "[::1]:5001"));
    assertTrue(hosts.matches("127.0.0.1:5000"), "host-only: every port");
    assertTrue(hosts.matches("127.0.0.1:443"));
    assertTrue(hosts.matches("127.0.0.1"));
    assertTrue(hosts.matches("registry.local:5000"));
    assertFalse(hosts.matches("registry.local:5001"), "host:port: that port only");
    assertFalse(hosts.matches("registry.local"));
    assertTrue(hosts.matches("build.local:8080"), "http:// is read as host:port, names compare in any case");
    assertTrue(hosts.matches("[::1]:5001"));
    assertFalse(hosts.matches("127.0.0.2:5000"));
    assertFalse(hosts.matches("docker.io"));
    assertTrue(PlainHttpHosts.none().isEmpty());

    for (String bad : List.of("", "  ", "https://127.0.0.1:5000", "127.0.0.1:5000/v2", "127.0.0.1:0", "127.0.0.1:70000",
        "127.0.0.1:", "::1", "host name", "user@host", "-host")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> PlainHttpHosts.parse(List.of(bad)), bad);
      assertTrue(e.getMessage().contains("\"" + bad + "\"") && e.getMessage().contains("HOST:PORT"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> RegistryClient.builder().plainHttp("127.0.0.1:5000/x"));
  }
}
