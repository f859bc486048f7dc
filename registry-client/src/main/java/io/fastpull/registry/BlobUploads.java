package io.fastpull.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The push side of the distribution API against one endpoint: existence checks, upload sessions
 * (monolithic POST+PUT, chunked POST+PATCH*+PUT), cross-repository mounts and manifest PUTs. Thread-safe;
 * each upload is its own session.
 */
final class BlobUploads {
  private static final Logger LOG = LoggerFactory.getLogger(BlobUploads.class);
  private static final String OCTETS = "application/octet-stream";

  private final Transport transport;

  BlobUploads(Transport transport) {
    this.transport = transport;
  }

  boolean exists(Endpoint ep, ImageReference repo, Digest digest) throws IOException {
    URI uri = ep.resolve(repo.repository() + "/blobs/" + digest, null);
    Transport.Call call = call("HEAD", ep, uri, Map.of(), null, pushScope(repo), true, "HEAD blob " + digest, repo);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() == 200) return true;
      if (r.status() == 404) return false;
      throw transport.error(r, call);
    }
  }

  void monolithic(Endpoint ep, ImageReference repo, Digest digest, Transport.Body body, long size) throws IOException {
    URI location = start(ep, repo, digest);
    URI put = withQuery(location, "digest=" + enc(digest.toString()));
    Transport.Call call =
        call("PUT", ep, put, Map.of("Content-Type", OCTETS), body, pushScope(repo), false, "PUT blob " + digest, repo);
    finish(call, digest);
    LOG.debug("blob pushed repository={} digest={} size={} mode=monolithic", repo.repository(), digest, size);
  }

  void chunked(Endpoint ep, ImageReference repo, Digest digest, InputStream in, int chunkSize) throws IOException {
    URI location = start(ep, repo, digest);
    MessageDigest md = digest.newMessageDigest();
    byte[] buf = new byte[chunkSize];
    long offset = 0;
    while (true) {
      int n = in.readNBytes(buf, 0, chunkSize);
      if (n == 0) break;
      md.update(buf, 0, n);
      int len = n;
      Transport.Call call =
          call("PATCH", ep, location,
              Map.of("Content-Type", OCTETS, "Content-Range", offset + "-" + (offset + n - 1)),
              () -> HttpRequest.BodyPublishers.ofByteArray(buf, 0, len), pushScope(repo), false,
              "PATCH blob " + digest + " at " + offset, repo);
      try (Transport.Reply r = transport.send(call)) {
        if (r.status() != 202) throw transport.error(r, call);
        location = r.uri().resolve(locationOf(r, call));
      }
      offset += n;
      if (n < chunkSize) break;
    }
    if (!digest.matches(md.digest())) {
      cancel(ep, repo, location);
      throw RegistryException.builder(RegistryException.Kind.DIGEST_MISMATCH, "chunked upload of " + digest)
          .host(ep.authority())
          .repository(repo.repository())
          .detail("the " + offset + " streamed bytes do not hash to the declared digest; upload cancelled")
          .build();
    }
    URI put = withQuery(location, "digest=" + enc(digest.toString()));
    Transport.Call call =
        call("PUT", ep, put, Map.of("Content-Type", OCTETS), null, pushScope(repo), false, "PUT blob " + digest, repo);
    finish(call, digest);
    LOG.debug("blob pushed repository={} digest={} size={} mode=chunked", repo.repository(), digest, offset);
  }

  boolean mount(Endpoint ep, ImageReference target, String from, Digest digest) throws IOException {
    URI uri = ep.resolve(target.repository() + "/blobs/uploads/", "mount=" + enc(digest.toString()) + "&from=" + enc(from));
    String scope = pushScope(target) + " repository:" + from + ":pull";
    Transport.Call call = call("POST", ep, uri, Map.of(), null, scope, false, "mount blob " + digest + " from " + from, target);
    URI location;
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() == 201) return true;
      if (r.status() != 202) throw transport.error(r, call);
      location = r.uri().resolve(locationOf(r, call));
    }
    // The registry opened an upload session instead; drop it, the caller pushes.
    cancel(ep, target, location);
    return false;
  }

  /** Starts an upload session and cancels it: the repository takes pushes; nothing is written. */
  void probe(Endpoint ep, ImageReference repo) throws IOException {
    URI uri = ep.resolve(repo.repository() + "/blobs/uploads/", null);
    Transport.Call call = call("POST", ep, uri, Map.of(), null, pushScope(repo), false, "check push access", repo);
    URI location;
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 202) throw transport.error(r, call);
      location = r.uri().resolve(locationOf(r, call));
    }
    cancel(ep, repo, location);
  }

  /**
   * The result of a manifest PUT.
   *
   * @param digest the manifest's digest
   * @param subject the {@code OCI-Subject} response header (OCI 1.1 registries that index referrers), if any
   */
  record PushedManifest(Digest digest, Optional<String> subject) {}

  PushedManifest manifest(Endpoint ep, ImageReference ref, String mediaType, byte[] bytes) throws IOException {
    Digest digest = ref.digest() != null ? ref.digest() : Digest.sha256(bytes);
    if (!digest.matches(digest.newMessageDigest().digest(bytes))) {
      throw new IllegalArgumentException("manifest bytes do not hash to the reference's digest " + digest);
    }
    String reference = ref.tag() != null ? ref.tag() : digest.toString();
    URI uri = ep.resolve(ref.repository() + "/manifests/" + reference, null);
    Transport.Call call =
        call("PUT", ep, uri, Map.of("Content-Type", mediaType), () -> HttpRequest.BodyPublishers.ofByteArray(bytes),
            pushScope(ref), true, "PUT manifest " + ref, ref);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 201) throw transport.error(r, call);
      Optional<String> reported = r.header("Docker-Content-Digest");
      if (reported.isPresent() && !reported.get().trim().equals(digest.toString())) {
        throw RegistryException.builder(RegistryException.Kind.DIGEST_MISMATCH, call.what())
            .host(ep.authority())
            .repository(ref.repository())
            .detail("registry stored digest " + reported.get() + ", expected " + digest)
            .build();
      }
      return new PushedManifest(digest, r.header("OCI-Subject").map(String::trim));
    }
  }

  private URI start(Endpoint ep, ImageReference repo, Digest digest) throws IOException {
    URI uri = ep.resolve(repo.repository() + "/blobs/uploads/", null);
    Transport.Call call = call("POST", ep, uri, Map.of(), null, pushScope(repo), false, "start upload of " + digest, repo);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 202) throw transport.error(r, call);
      return r.uri().resolve(locationOf(r, call));
    }
  }

  private void finish(Transport.Call call, Digest digest) throws IOException {
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 201) throw transport.error(r, call);
    }
  }

  private void cancel(Endpoint ep, ImageReference repo, URI location) {
    Transport.Call call = call("DELETE", ep, location, Map.of(), null, pushScope(repo), true, "cancel upload", repo);
    try (Transport.Reply r = transport.send(call)) {
      LOG.debug("upload cancelled repository={} status={}", repo.repository(), r.status());
    } catch (IOException e) {
      // Abandoned sessions expire on the registry; nothing else to do.
      LOG.debug("upload cancel failed repository={} kind={}", repo.repository(), e.getClass().getSimpleName());
    }
  }

  private static String locationOf(Transport.Reply r, Transport.Call call) throws RegistryException {
    return r.header("Location")
        .orElseThrow(() -> RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
            .status(r.status())
            .host(call.endpoint().authority())
            .repository(call.repository())
            .detail("upload response has no Location header")
            .build());
  }

  private static URI withQuery(URI uri, String param) {
    String s = uri.toString();
    return URI.create(s + (uri.getRawQuery() == null ? "?" : "&") + param);
  }

  private static Transport.Call call(String method, Endpoint ep, URI uri, Map<String, String> headers, Transport.Body body,
      String scope, boolean idempotent, String what, ImageReference repo) {
    return new Transport.Call(method, ep, uri, headers, body, scope, idempotent, what, repo.repository());
  }

  private static String pushScope(ImageReference repo) {
    return "repository:" + repo.repository() + ":pull,push";
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
