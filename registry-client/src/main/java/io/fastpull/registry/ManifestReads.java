package io.fastpull.registry;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * Manifest reads against one endpoint: resolve (HEAD) and fetch (GET) with the Accept header for every
 * manifest and index type, digest verification over the exact bytes, and media type detection.
 * Stateless and thread-safe.
 */
final class ManifestReads {
  private static final int MAX_MANIFEST_BYTES = 4 << 20;

  private final Transport transport;

  ManifestReads(Transport transport) {
    this.transport = transport;
  }

  Descriptor resolve(Endpoint ep, ImageReference ref) throws IOException {
    Transport.Call call = manifestCall("HEAD", ep, ref, "resolve " + ref);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 200) throw transport.error(r, call);
      Optional<String> digest = r.header("Docker-Content-Digest");
      Optional<String> type = r.header("Content-Type").map(ManifestReads::bareType);
      long size = r.headers().firstValueAsLong("Content-Length").orElse(-1);
      if (digest.isEmpty() || type.isEmpty() || size < 0) {
        return fetch(ep, ref).descriptor();
      }
      Digest d = parseDigestHeader(digest.get(), call);
      if (ref.digest() != null && !ref.digest().equals(d)) {
        throw mismatch(call, ep, "registry reports digest " + d);
      }
      return Descriptor.of(type.get(), d, size);
    }
  }

  ManifestContent fetch(Endpoint ep, ImageReference ref) throws IOException {
    Transport.Call call = manifestCall("GET", ep, ref, "GET manifest " + ref);
    byte[] bytes;
    Optional<String> type;
    Optional<String> header;
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 200) throw transport.error(r, call);
      type = r.header("Content-Type").map(ManifestReads::bareType);
      header = r.header("Docker-Content-Digest");
      bytes = r.body().readNBytes(MAX_MANIFEST_BYTES + 1);
    }
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
          .host(ep.authority())
          .repository(ref.repository())
          .detail("manifest larger than " + MAX_MANIFEST_BYTES + " bytes")
          .build();
    }
    Digest expected = ref.digest() != null ? ref.digest() : header.isPresent() ? parseDigestHeader(header.get(), call) : null;
    Digest actual;
    if (expected != null) {
      if (!expected.matches(expected.newMessageDigest().digest(bytes))) {
        throw mismatch(call, ep, "manifest bytes do not hash to " + expected);
      }
      actual = expected;
    } else {
      actual = Digest.sha256(bytes);
    }
    String mediaType = type.filter(t -> MediaTypes.MANIFESTS.contains(t) || MediaTypes.INDEXES.contains(t))
        .orElseGet(() -> mediaTypeFromJson(bytes));
    if (mediaType == null) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
          .host(ep.authority())
          .repository(ref.repository())
          .detail("unknown manifest media type " + type.orElse("(none)"))
          .build();
    }
    return new ManifestContent(mediaType, actual, bytes);
  }

  private static String mediaTypeFromJson(byte[] bytes) {
    try {
      com.fasterxml.jackson.databind.JsonNode n = Json.MAPPER.readTree(bytes);
      String t = n.path("mediaType").asText(null);
      if (t != null) return t;
      return n.has("manifests") ? MediaTypes.OCI_INDEX : n.has("config") ? MediaTypes.OCI_MANIFEST : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static String bareType(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
  }

  private static Digest parseDigestHeader(String value, Transport.Call call) throws RegistryException {
    try {
      return Digest.parse(value.trim());
    } catch (IllegalArgumentException e) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
          .host(call.endpoint().authority())
          .detail("bad Docker-Content-Digest header: " + e.getMessage())
          .build();
    }
  }

  private static RegistryException mismatch(Transport.Call call, Endpoint ep, String detail) {
    return RegistryException.builder(RegistryException.Kind.DIGEST_MISMATCH, call.what())
        .host(ep.authority())
        .repository(call.repository())
        .detail(detail)
        .build();
  }

  private static Transport.Call manifestCall(String method, Endpoint ep, ImageReference ref, String what) {
    URI uri = ep.resolve(ref.repository() + "/manifests/" + ref.manifestReference(), null);
    return new Transport.Call(method, ep, uri, Map.of("Accept", MediaTypes.MANIFEST_ACCEPT), null,
        RegistryClient.pullScope(ref.repository()), true, what, ref.repository());
  }

}
