package io.fastpull.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.fastpull.registry.auth.Credentials;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches bearer tokens from a challenge's realm (the Docker token protocol): GET realm?service=&scope=...
 * with HTTP Basic credentials when there are any; accepts {@code token} or {@code access_token} and
 * {@code expires_in} (at least 60 s, as the protocol says). Stateless and thread-safe.
 */
final class TokenClient implements Authorizer.TokenFetcher {
  private static final Logger LOG = LoggerFactory.getLogger(TokenClient.class);

  private final Transport transport;
  private final Transport.Settings settings;

  TokenClient(Transport transport, Transport.Settings settings) {
    this.transport = transport;
    this.settings = settings;
  }

  @Override
  public Authorizer.Token fetch(
      Endpoint ep, Challenge c, String scope, Optional<Credentials> creds, String repository) throws IOException {
    String realm = c.param("realm");
    String what = "token request for " + (scope == null ? "registry" : scope);
    if (realm == null || !(realm.startsWith("https://") || realm.startsWith("http://"))) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, what)
          .host(ep.authority())
          .detail("bearer challenge has no http(s) realm")
          .build();
    }
    StringBuilder q = new StringBuilder();
    if (c.param("service") != null) q.append("service=").append(enc(c.param("service")));
    if (scope != null) {
      for (String s : scope.split(" ")) {
        if (!s.isEmpty()) q.append(q.length() > 0 ? "&" : "").append("scope=").append(enc(s));
      }
    }
    URI uri = URI.create(realm + (q.length() == 0 ? "" : (realm.contains("?") ? "&" : "?") + q));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri).timeout(settings.readTimeout()).GET().header("User-Agent", settings.userAgent());
    creds.ifPresent(cr -> b.header("Authorization", cr.basicHeader()));
    // The realm is its own origin; count it against its own host's limit and never follow its redirects.
    Endpoint realmEp =
        new Endpoint(URI.create(uri.getScheme() + "://" + uri.getRawAuthority() + "/v2"),
            java.util.Set.of(), Map.of(), ep.tls(), uri.getRawAuthority(), false);
    Transport.Call call = new Transport.Call("GET", realmEp, uri, Map.of(), null, null, true, what, repository);
    byte[] body;
    int st;
    try (Transport.Reply r = transport.exchange(call, b.build())) {
      st = r.status();
      if (st != 200) {
        throw RegistryException.builder(st == 401 || st == 403 ? RegistryException.Kind.UNAUTHORIZED : RegistryException.Kind.PROTOCOL, what)
            .status(st)
            .host(uri.getRawAuthority())
            .repository(repository)
            .detail(creds.isPresent()
                ? "token server refused the credentials of user '" + creds.get().username() + "'"
                : "token server refused anonymous access; configure credentials for " + ep.credentialKey())
            .build();
      }
      body = r.body().readNBytes(1 << 20);
    }
    JsonNode node = Json.read(body, JsonNode.class, "token response from " + uri.getRawAuthority());
    String token = node.path("token").asText("");
    if (token.isEmpty()) token = node.path("access_token").asText("");
    if (token.isEmpty()) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, what)
          .host(uri.getRawAuthority())
          .detail("token response has neither 'token' nor 'access_token'")
          .build();
    }
    long expiresIn = node.path("expires_in").asLong(60);
    if (expiresIn < 60) expiresIn = 60; // the token spec says to assume at least 60 s
    // Refresh a little early so a token does not expire between cache lookup and use.
    Instant expiresAt = settings.clock().instant().plusSeconds(expiresIn - Math.min(10, expiresIn / 6));
    LOG.debug("token fetched host={} scope=\"{}\" expires_in={}", uri.getRawAuthority(), scope, expiresIn);
    return new Authorizer.Token(token, expiresAt);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
