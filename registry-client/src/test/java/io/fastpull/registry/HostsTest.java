package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.registry.testing.LocalRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** containerd hosts.toml: TLS with a private CA, skip_verify, plain HTTP servers, mirrors with fallback. */
class HostsTest {
  @TempDir Path dir;

  private Path hostsToml(String registry, String toml) throws Exception {
    Path d = Files.createDirectories(dir.resolve("certs.d").resolve(registry));
    Files.writeString(d.resolve("hosts.toml"), toml);
    return dir.resolve("certs.d");
  }

  @Test
  void tlsWithPrivateCaFromHostsToml() throws Exception {
    try (LocalRegistry reg = LocalRegistry.builder(dir.resolve("reg")).tls().start()) {
      ImageReference repo = ImageReference.parse(reg.host() + "/secure/app:1");
      try (RegistryClient noCa = RegistryClient.builder().build()) {
        RegistryException e = assertThrows(RegistryException.class, () -> noCa.pushBlob(repo, new byte[] {1}));
        assertEquals(RegistryException.Kind.TLS, e.kind());
        assertTrue(e.getMessage().contains(reg.host()), e.getMessage());
      }
      Path ca = Files.copy(reg.caCertificate(), Files.createDirectories(dir.resolve("certs.d").resolve(reg.host())).resolve("ca.crt"));
      Path hosts = hostsToml(reg.host(), "server = \"https://" + reg.host() + "\"\n"
          + "[host.\"https://" + reg.host() + "\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n  ca = \"" + ca.getFileName() + "\"\n");
      try (RegistryClient c = RegistryClient.builder().hostsDir(hosts).build()) {
        Digest d = c.pushBlob(repo, "over tls".getBytes());
        assertArrayEquals("over".getBytes(), c.readBlobRange(repo, d, 0, 4));
      }
      Path skip = hostsToml(reg.host(), "server = \"https://" + reg.host() + "\"\nskip_verify = true\n");
      try (RegistryClient c = RegistryClient.builder().hostsDir(skip).build()) {
        assertTrue(c.blobExists(repo, Digest.sha256("over tls".getBytes())));
      }
    }
  }

  @Test
  void mirrorServesPullsAndDeadMirrorFallsBackToOrigin() throws Exception {
    try (LocalRegistry origin = LocalRegistry.builder(dir.resolve("origin")).start();
        LocalRegistry mirror = LocalRegistry.builder(dir.resolve("mirror")).start()) {
      ImageReference repo = ImageReference.parse(origin.host() + "/mirrored/app:1");
      byte[] onlyOrigin = "origin-only".getBytes();
      byte[] both = "both".getBytes();
      try (RegistryClient direct = RegistryClient.builder().plainHttp(origin.host(), mirror.host()).build()) {
        direct.pushBlob(repo, onlyOrigin);
        direct.pushBlob(repo, both);
        direct.pushBlob(ImageReference.parse(mirror.host() + "/mirrored/app:1"), both);
      }
      Path hosts = hostsToml(origin.host(), "server = \"http://" + origin.host() + "\"\n\n"
          + "[host.\"http://" + dead() + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n\n"
          + "[host.\"http://" + mirror.host() + "\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
          + "  [host.\"http://" + mirror.host() + "\".header]\n    x-mirror-test = \"yes\"\n");
      try (RegistryClient c = RegistryClient.builder().hostsDir(hosts)
          .retryPolicy(new RetryPolicy(1, java.time.Duration.ZERO, java.time.Duration.ZERO, java.time.Duration.ZERO)).build()) {
        long originBefore = origin.countRequests("GET", "/blobs/");
        assertArrayEquals(both, c.readBlob(repo, Digest.sha256(both), 100));
        assertEquals(1, mirror.countRequests("GET", "/blobs/" + Digest.sha256(both)));
        assertEquals(originBefore, origin.countRequests("GET", "/blobs/"), "served by the mirror");
        assertArrayEquals(onlyOrigin, c.readBlob(repo, Digest.sha256(onlyOrigin), 100));
        assertEquals(1, origin.countRequests("GET", "/blobs/" + Digest.sha256(onlyOrigin)));
        // pushes never go to pull-only mirrors
        long mirrorPosts = mirror.countRequests("POST", "/blobs/uploads");
        Digest pushed = c.pushBlob(repo, "pushed".getBytes());
        assertEquals(mirrorPosts, mirror.countRequests("POST", "/blobs/uploads"));
        assertTrue(c.blobExists(repo, pushed));
      }
    }
  }

  @Test
  void hostsTomlParsing() throws Exception {
    Path caFile = Files.createDirectories(dir.resolve("certs.d/example.com:5000")).resolve("ca.pem");
    Files.writeString(caFile, "x");
    Path hosts = hostsToml("example.com:5000", "server = \"https://example.com:5000\"\ncapabilities = [\"pull\"]\n"
        + "[host.\"https://m1.example\"]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = [\"ca.pem\"]\n  skip_verify = false\n"
        + "  [host.\"https://m1.example\".header]\n    authorization-extra = [\"a\", \"b\"]\n"
        + "[host.\"http://m2.example:8080/custom/v2\"]\n  override_path = true\n");
    List<Endpoint> eps = new HostsDirectory(hosts, PlainHttpHosts.none()).endpoints(ImageReference.parse("example.com:5000/a/b:1"));
    assertEquals(3, eps.size());
    assertEquals("https://m1.example/v2", eps.get(0).base().toString());
    assertEquals(List.of("a", "b"), eps.get(0).headers().get("authorization-extra"));
    assertEquals(List.of(caFile), eps.get(0).tls().caFiles());
    assertEquals("http://m2.example:8080/custom/v2", eps.get(1).base().toString());
    assertEquals("https://example.com:5000/v2", eps.get(2).base().toString());
    assertEquals(java.util.Set.of(Endpoint.Capability.PULL), eps.get(2).capabilities());
    assertEquals("example.com:5000", eps.get(2).credentialKey());

    List<Endpoint> hub = new HostsDirectory(null, PlainHttpHosts.none()).endpoints(ImageReference.parse("busybox"));
    assertEquals("https://registry-1.docker.io/v2", hub.get(0).base().toString());
    Path broken = hostsToml("bad.example", "[host.\"https://m\"]\n capabilities = [\"fly\"]\n");
    RegistryException e = assertThrows(RegistryException.class,
        () -> new HostsDirectory(broken, PlainHttpHosts.none()).endpoints(ImageReference.parse("bad.example/a:1")));
    assertEquals(RegistryException.Kind.CONFIG, e.kind());
  }

  @Test
  void plainHttpRegistryIsNamedAsSuchWithTheWaysToAllowIt() throws Exception {
    try (LocalRegistry reg = LocalRegistry.builder(dir.resolve("plain")).start();
        RegistryClient tls = RegistryClient.builder().build()) {
      ImageReference repo = ImageReference.parse(reg.host() + "/plain/app:1");
      RegistryException e = assertThrows(RegistryException.class, () -> tls.blobExists(repo, Digest.sha256(new byte[1])));
      assertEquals(RegistryException.Kind.PLAIN_HTTP, e.kind(), e.getMessage());
      assertTrue(e.getMessage().contains("--plain-http " + reg.host()), e.getMessage());
      assertTrue(e.getMessage().contains(reg.host() + "/hosts.toml with server = \"http://" + reg.host() + "\""),
          e.getMessage());
      assertFalse(e.getMessage().contains("skip_verify"), e.getMessage());
    }
  }

  @Test
  void plainHttpHostWithoutPortCoversItsPortsAndHttpUrlIsItsHostPort() throws Exception {
    try (LocalRegistry reg = LocalRegistry.builder(dir.resolve("plain")).start()) {
      ImageReference repo = ImageReference.parse(reg.host() + "/plain/app:1");
      for (String entry : List.of("127.0.0.1", "http://" + reg.host())) {
        try (RegistryClient c = RegistryClient.builder().plainHttp(entry).build()) {
          c.pushBlob(repo, entry.getBytes());
          assertTrue(c.blobExists(repo, Digest.sha256(entry.getBytes())), entry);
        }
      }
    }
  }

  @Test
  void mirrorWithoutTheBlobIsNotLoggedAsAFailure() throws Exception {
    try (LocalRegistry reg = LocalRegistry.builder(dir.resolve("reg")).start()) {
      ImageReference repo = ImageReference.parse(reg.host() + "/quiet/app:1");
      // containerd's usual hosts.toml for a plain-HTTP registry: the same URL as server and as a host.
      Path hosts = hostsToml(reg.host(), "server = \"http://" + reg.host() + "\"\n"
          + "[host.\"http://" + reg.host() + "\"]\n  capabilities = [\"pull\", \"resolve\", \"push\"]\n");
      java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
      java.io.PrintStream saved = System.err;
      // slf4j-simple writes to whatever System.err is at the time of the call.
      System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
      try (RegistryClient c = RegistryClient.builder().hostsDir(hosts).build()) {
        byte[] blob = "pushed after an exists check".getBytes();
        assertFalse(c.blobExists(repo, Digest.sha256(blob)));
        c.pushBlob(repo, blob);
        assertTrue(c.blobExists(repo, Digest.sha256(blob)));
      } finally {
        System.setErr(saved);
      }
      String log = err.toString(java.nio.charset.StandardCharsets.UTF_8);
      assertFalse(log.contains("endpoint failed"), log);
      assertFalse(log.contains("NOT_FOUND"), log);
    }
  }

  private static String dead() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return "127.0.0.1:" + s.getLocalPort();
    }
  }
}
