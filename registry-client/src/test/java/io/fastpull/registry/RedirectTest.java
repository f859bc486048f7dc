package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fastpull.registry.auth.CredentialStore;
import io.fastpull.registry.auth.Credentials;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Blob GETs redirected to "blob storage" on another origin (localhost vs 127.0.0.1, another port) must not
 * carry the registry's Authorization header; same-origin redirects keep it. The real registry cannot
 * redirect (filesystem storage), so both servers are small loopback HTTP servers.
 */
class RedirectTest {
  static final byte[] BLOB = "redirected blob content".getBytes();
  static final Digest DIGEST = Digest.sha256(BLOB);

  HttpServer registry;
  HttpServer storage;
  final List<String> storageAuth = new CopyOnWriteArrayList<>();
  final List<String> storageRanges = new CopyOnWriteArrayList<>();
  final List<String> storageExtra = new CopyOnWriteArrayList<>();
  final List<String> registryExtra = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws IOException {
    storage = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    storage.createContext("/bucket/", ex -> {
      storageAuth.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      storageExtra.add(String.valueOf(ex.getRequestHeaders().getFirst("X-Mirror-Token")));
      String range = ex.getRequestHeaders().getFirst("Range");
      storageRanges.add(String.valueOf(range));
      if (range != null) {
        String[] r = range.substring(6).split("-");
        int a = Integer.parseInt(r[0]);
        int b = Integer.parseInt(r[1]);
        ex.getResponseHeaders().add("Content-Range", "bytes " + a + "-" + b + "/" + BLOB.length);
        send(ex, 206, java.util.Arrays.copyOfRange(BLOB, a, b + 1));
      } else {
        send(ex, 200, BLOB);
      }
    });
    storage.start();
    registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
    registry.createContext("/v2/", ex -> {
      registryExtra.add(String.valueOf(ex.getRequestHeaders().getFirst("X-Mirror-Token")));
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      if (!new Credentials("u", "p4ss").basicHeader().equals(auth)) {
        ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"test\"");
        send(ex, 401, new byte[0]);
        return;
      }
      String path = ex.getRequestURI().getPath();
      if (path.endsWith("/blobs/" + DIGEST)) {
        ex.getResponseHeaders().add("Location", "/v2/app/blobs/" + DIGEST + "/same-origin");
        send(ex, 307, new byte[0]);
      } else if (path.endsWith("/same-origin")) {
        ex.getResponseHeaders().add("Location",
            "http://localhost:" + storage.getAddress().getPort() + "/bucket/" + DIGEST.hex() + "?sig=abc");
        send(ex, 302, new byte[0]);
      } else {
        send(ex, 404, new byte[0]);
      }
    });
    registry.start();
  }

  @AfterEach
  void stop() {
    registry.stop(0);
    storage.stop(0);
  }

  static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) ex.getResponseBody().write(body);
    ex.close();
  }

  @Test
  void authorizationIsNotForwardedToAnotherOrigin() throws Exception {
    String host = "127.0.0.1:" + registry.getAddress().getPort();
    ImageReference repo = ImageReference.parse(host + "/app:1");
    try (RegistryClient c = RegistryClient.builder().plainHttp(host)
        .credentials(CredentialStore.of(Map.of(host, new Credentials("u", "p4ss")))).build()) {
      assertArrayEquals(BLOB, c.readBlob(repo, DIGEST, 1000));
      assertArrayEquals("direct".getBytes(), c.readBlobRange(repo, DIGEST, 2, 6));
    }
    assertEquals(List.of("null", "null"), storageAuth);
    assertEquals(List.of("null", "bytes=2-7"), storageRanges);
  }

  @Test
  void hostsTomlHeadersGoOnlyToTheirEndpoint(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    String host = "127.0.0.1:" + registry.getAddress().getPort();
    java.nio.file.Path d = java.nio.file.Files.createDirectories(dir.resolve(host));
    java.nio.file.Files.writeString(d.resolve("hosts.toml"),
        "server = \"http://" + host + "\"\n[header]\n  x-mirror-token = \"t0k\"\n");
    ImageReference repo = ImageReference.parse(host + "/app:1");
    try (RegistryClient c = RegistryClient.builder().hostsDir(dir)
        .credentials(CredentialStore.of(Map.of(host, new Credentials("u", "p4ss")))).build()) {
      assertArrayEquals(BLOB, c.readBlob(repo, DIGEST, 1000));
    }
    assertEquals(List.of("null"), storageExtra);
    assertEquals(List.of("t0k", "t0k", "t0k"), registryExtra, "401 round, then the same-origin redirect");
  }

  @Test
  void sameOriginCheck() {
    java.net.URI base = java.net.URI.create("http://127.0.0.1:5000/v2");
    assertEquals(true, Transport.sameOrigin(java.net.URI.create("http://127.0.0.1:5000/x"), base));
    assertEquals(false, Transport.sameOrigin(java.net.URI.create("http://localhost:5000/x"), base));
    assertEquals(false, Transport.sameOrigin(java.net.URI.create("https://127.0.0.1:5000/x"), base));
    assertEquals(true, Transport.sameOrigin(java.net.URI.create("https://h/x"), java.net.URI.create("https://h:443/v2")));
  }
}
