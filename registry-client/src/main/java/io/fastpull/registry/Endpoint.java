package io.fastpull.registry;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One base URL serving a registry's {@code /v2/} API: the origin or a mirror.
 *
 * @param base scheme, authority and path up to and including {@code /v2}, without a trailing slash
 * @param capabilities what this endpoint may be used for
 * @param headers extra request headers from hosts.toml (sent only to this endpoint, never across redirects)
 * @param tls how to verify this endpoint's certificate
 * @param credentialKey the name credentials are looked up under (registry name for the origin, host for a mirror)
 * @param mirror whether this is a mirror rather than the origin
 */
record Endpoint(
    URI base,
    Set<Capability> capabilities,
    Map<String, List<String>> headers,
    TlsSettings tls,
    String credentialKey,
    boolean mirror) {

  /** What an endpoint may serve, as in containerd's hosts.toml {@code capabilities}. */
  enum Capability {
    PULL,
    RESOLVE,
    PUSH
  }

  Endpoint {
    String path = base.getRawPath();
    if (base.getScheme() == null || base.getHost() == null || path == null || !path.endsWith("/v2")) {
      throw new IllegalArgumentException("endpoint base must be scheme://host[:port]/.../v2, got " + base);
    }
    capabilities = Set.copyOf(capabilities);
    headers = Map.copyOf(headers);
  }

  /** host[:port] of this endpoint. */
  String authority() {
    return base.getRawAuthority();
  }

  /** The URI of {@code path} below {@code /v2/} (already escaped), with an optional raw query. */
  URI resolve(String path, String query) {
    return URI.create(base + "/" + path + (query == null ? "" : "?" + query));
  }
}
