package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The referrers API path. distribution 2.8 has no referrers API and never sends {@code OCI-Subject}, so this
 * test runs a small loopback registry that has both: blobs, manifests by digest or tag, and {@code GET
 * /v2/NAME/referrers/DIGEST} built from the stored manifests' {@code subject}, one referrer per page
 * (linked with {@code Link: rel="next"}). Modes: honour or ignore the {@code artifactType} filter; or
 * answer the referrers route with a given status (405) and no {@code OCI-Subject}, like an older registry.
 */
class ReferrersApiTest {
  static final String PROFILE = "application/vnd.fastpull.startup-profile.v1";
  static final String SBOM = "application/vnd.example.sbom.v1";

  HttpServer server;
  RegistryClient client;
  final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
  final Map<String, byte[]> manifests = new ConcurrentHashMap<>();
  final Map<String, String> types = new ConcurrentHashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger uploads = new AtomicInteger();
  volatile boolean honourFilter = true;
  volatile int referrersStatus = 200;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.createContext("/v2/", this::handle);
    server.start();
    client = RegistryClient.builder().plainHttp(host()).build();
  }

  @AfterEach
  void stop() {
    if (client != null) client.close();
    if (server != null) server.stop(0);
  }

  String host() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  ImageReference repo() {
    return ImageReference.parse(host() + "/app:1");
  }

  // ---- the fake registry --------------------------------------------------------------------------

  private void handle(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getRawQuery();
    requests.add(method + " " + path + (query == null ? "" : "?" + query));
    byte[] body = ex.getRequestBody().readAllBytes();
    String[] p = path.split("/");
    // p: "", "v2", "app", KIND, REF...
    String kind = p.length > 3 ? p[3] : "";
    String ref = p.length > 4 ? p[4] : "";
    if (kind.equals("blobs") && ref.equals("uploads") && method.equals("POST")) {
      ex.getResponseHeaders().add("Location", "/v2/app/blobs/uploads/u" + uploads.incrementAndGet());
      send(ex, 202, null, new byte[0]);
    } else if (kind.equals("blobs") && ref.equals("uploads") && method.equals("PUT")) {
      String digest = URLDecoder.decode(query.substring(query.indexOf("digest=") + 7), StandardCharsets.UTF_8);
      blobs.put(digest, body);
      send(ex, 201, null, new byte[0]);
    } else if (kind.equals("blobs")) {
      byte[] b = blobs.get(ref);
      send(ex, b == null ? 404 : 200, null, method.equals("HEAD") || b == null ? new byte[0] : b);
    } else if (kind.equals("manifests") && method.equals("PUT")) {
      String digest = Digest.sha256(body).toString();
      manifests.put(digest, body);
      manifests.put(ref, body);
      types.put(digest, ex.getRequestHeaders().getFirst("Content-Type"));
      types.put(ref, ex.getRequestHeaders().getFirst("Content-Type"));
      ex.getResponseHeaders().add("Docker-Content-Digest", digest);
      JsonNode subject = Json.MAPPER.readTree(body).path("subject");
      if (subject.has("digest") && referrersStatus == 200) {
        ex.getResponseHeaders().add("OCI-Subject", subject.get("digest").asText());
      }
      send(ex, 201, null, new byte[0]);
    } else if (kind.equals("manifests")) {
      byte[] m = manifests.get(ref);
      if (m == null) {
        send(ex, 404, "application/json", "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".getBytes());
      } else {
        ex.getResponseHeaders().add("Docker-Content-Digest", Digest.sha256(m).toString());
        send(ex, 200, types.get(ref), method.equals("HEAD") ? new byte[0] : m);
      }
    } else if (kind.equals("referrers") && referrersStatus != 200) {
      send(ex, referrersStatus, "text/plain", "no such route".getBytes());
    } else if (kind.equals("referrers")) {
      referrers(ex, ref, query);
    } else {
      send(ex, 404, "text/plain", "404 page not found".getBytes());
    }
  }

  private void referrers(HttpExchange ex, String subject, String query) throws IOException {
    String filter = null;
    int page = 0;
    for (String kv : query == null ? new String[0] : query.split("&")) {
      String[] pair = kv.split("=", 2);
      String v = URLDecoder.decode(pair[1], StandardCharsets.UTF_8);
      if (pair[0].equals("artifactType")) filter = v;
      if (pair[0].equals("page")) page = Integer.parseInt(v);
    }
    String wanted = honourFilter ? filter : null;
    List<String> all = new ArrayList<>();
    for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(manifests).entrySet()) {
      if (!e.getKey().startsWith("sha256:")) continue;
      JsonNode m = Json.MAPPER.readTree(e.getValue());
      if (!subject.equals(m.path("subject").path("digest").asText())) continue;
      String type = m.path("artifactType").asText();
      if (wanted != null && !wanted.equals(type)) continue;
      all.add("{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + e.getKey() + "\",\"size\":"
          + e.getValue().length + ",\"artifactType\":\"" + type + "\",\"annotations\":"
          + Json.MAPPER.writeValueAsString(m.path("annotations")) + "}");
    }
    List<String> slice = page < all.size() ? List.of(all.get(page)) : List.of();
    if (page + 1 < all.size()) {
      String next = "/v2/app/referrers/" + subject + "?page=" + (page + 1)
          + (filter == null ? "" : "&artifactType=" + java.net.URLEncoder.encode(filter, StandardCharsets.UTF_8));
      ex.getResponseHeaders().add("Link", "<" + next + ">; rel=\"next\"");
    }
    if (wanted != null) ex.getResponseHeaders().add("OCI-Filters-Applied", "artifactType");
    String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
        + String.join(",", slice) + "]}";
    send(ex, 200, MediaTypes.OCI_INDEX, index.getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    if (type != null) ex.getResponseHeaders().add("Content-Type", type);
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) ex.getResponseBody().write(body);
    ex.close();
  }

  // ---- tests --------------------------------------------------------------------------------------

  Descriptor subject() throws IOException {
    byte[] config = "{}".getBytes();
    client.pushBlob(repo(), config);
    byte[] m = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, config), List.of()).toJson();
    client.pushManifest(repo(), MediaTypes.OCI_MANIFEST, m);
    return Descriptor.of(MediaTypes.OCI_MANIFEST, m);
  }

  long tagRequests(Digest subject) {
    return requests.stream().filter(r -> r.contains("/manifests/" + Referrers.tag(subject))).count();
  }

  @Test
  void registryThatIndexesReferrersIsAskedAndTheTagIsNeverTouched() throws IOException {
    Descriptor image = subject();
    assertEquals(List.of(), client.referrers(repo(), image.digest(), null));
    Descriptor p = client.pushReferrer(repo(), image, PROFILE, "application/json", "{\"p\":1}".getBytes(), Map.of("k", "v"));
    Descriptor s = client.pushReferrer(repo(), image, SBOM, "application/json", "{\"s\":1}".getBytes(), null);
    Descriptor s2 = client.pushReferrer(repo(), image, SBOM, "application/json", "{\"s\":2}".getBytes(), null);

    assertEquals(Set.of(p, s, s2), Set.copyOf(client.referrers(repo(), image.digest(), null)));
    assertEquals(List.of(p), client.referrers(repo(), image.digest(), PROFILE));
    assertEquals(Set.of(s, s2), Set.copyOf(client.referrers(repo(), image.digest(), SBOM)));
    assertEquals(0, tagRequests(image.digest()), requests.toString());
    assertTrue(requests.contains("GET /v2/app/referrers/" + image.digest() + "?artifactType="
        + java.net.URLEncoder.encode(PROFILE, StandardCharsets.UTF_8)), requests.toString());
    // Three referrers, one per page: the client followed the Link header.
    assertTrue(requests.stream().anyMatch(r -> r.contains("/referrers/" + image.digest() + "?page=2")), requests.toString());
  }

  @Test
  void aFilterTheRegistryIgnoresIsAppliedByTheClient() throws IOException {
    honourFilter = false;
    Descriptor image = subject();
    Descriptor p = client.pushReferrer(repo(), image, PROFILE, "application/json", "{}".getBytes(), null);
    Descriptor s = client.pushReferrer(repo(), image, SBOM, "application/json", "[]".getBytes(), null);
    assertEquals(List.of(p), client.referrers(repo(), image.digest(), PROFILE));
    assertEquals(List.of(s), client.referrers(repo(), image.digest(), SBOM));
    assertEquals(0, tagRequests(image.digest()));
  }

  @Test
  void status405OnTheReferrersRouteFallsBackToTheTag() throws IOException {
    referrersStatus = 405;
    Descriptor image = subject();
    assertEquals(List.of(), client.referrers(repo(), image.digest(), null));
    Descriptor p = client.pushReferrer(repo(), image, PROFILE, "application/json", "{}".getBytes(), null);
    assertEquals(List.of(p), client.referrers(repo(), image.digest(), null));
    assertTrue(requests.contains("PUT /v2/app/manifests/" + Referrers.tag(image.digest())), requests.toString());
  }
}
