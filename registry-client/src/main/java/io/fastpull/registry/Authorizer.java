package io.fastpull.registry;

import io.fastpull.registry.auth.CredentialStore;
import io.fastpull.registry.auth.Credentials;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides the Authorization header per endpoint and scope. It remembers which scheme each endpoint
 * challenged with, so later requests authenticate up front, and caches bearer tokens per endpoint and
 * scope until they expire or the registry rejects them (then one fresh token is fetched). Thread-safe;
 * concurrent cold requests may each fetch a token (harmless, the last one wins the cache).
 */
final class Authorizer {
  /** Fetches a bearer token from a challenge's realm. */
  interface TokenFetcher {
    Token fetch(Endpoint ep, Challenge challenge, String scope, Optional<Credentials> creds, String repository)
        throws IOException;
  }

  /** A bearer token and when to stop using it. */
  record Token(String value, Instant expiresAt) {
    @Override
    public String toString() {
      return "Token[<redacted>, expiresAt=" + expiresAt + "]";
    }
  }

  private final CredentialStore store;
  private final Clock clock;
  private final TokenFetcher fetcher;
  private final Map<String, Challenge> challenges = new ConcurrentHashMap<>();
  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  // Looked up once per key (a credential helper is a process spawn), refreshed when a registry says 401.
  private final Map<String, Optional<Credentials>> credentials = new ConcurrentHashMap<>();

  Authorizer(CredentialStore store, Clock clock, TokenFetcher fetcher) {
    this.store = store;
    this.clock = clock;
    this.fetcher = fetcher;
  }

  /** The header to send up front, or null when the endpoint has not challenged yet. */
  String current(Endpoint ep, String scope, String repository) throws IOException {
    Challenge c = challenges.get(ep.authority());
    if (c == null) {
      return null;
    }
    if (c.scheme().equals("basic")) {
      return credentials(ep, false).map(Credentials::basicHeader).orElse(null);
    }
    Token t = tokens.get(key(ep, scope));
    if (t != null && clock.instant().isBefore(t.expiresAt())) {
      return "Bearer " + t.value();
    }
    return "Bearer " + refresh(ep, c, scope, repository).value();
  }

  /**
   * Answers a 401: the header to retry with. {@code sent} is the header that was rejected (or null).
   *
   * @throws RegistryException UNAUTHORIZED when no credentials exist or they were just rejected
   */
  String answer(Endpoint ep, List<Challenge> offered, String scope, String sent, String what, String repository)
      throws IOException {
    Challenge c = pick(offered);
    if (c == null) {
      throw RegistryException.builder(RegistryException.Kind.UNAUTHORIZED, what)
          .status(401)
          .host(ep.authority())
          .repository(repository)
          .detail("registry demands an authentication scheme this client lacks (offered: " + schemes(offered) + ")")
          .build();
    }
    challenges.put(ep.authority(), c);
    Optional<Credentials> creds = credentials(ep, true);
    if (c.scheme().equals("basic")) {
      if (creds.isEmpty()) {
        throw unauthorized(ep, what, repository, "registry requires a login and no credentials are configured for " + ep.credentialKey());
      }
      String header = creds.get().basicHeader();
      if (header.equals(sent)) {
        throw unauthorized(ep, what, repository, "registry rejected the password of user '" + creds.get().username() + "'");
      }
      return header;
    }
    tokens.remove(key(ep, scope));
    return "Bearer " + refresh(ep, c, scope, repository).value();
  }

  /** The error for a request still refused after answering the challenge. */
  RegistryException rejected(Endpoint ep, String what, String repository) throws IOException {
    Challenge c = challenges.get(ep.authority());
    Optional<Credentials> creds = credentials(ep, false);
    String who = creds.map(cr -> "user '" + cr.username() + "'").orElse("anonymous access");
    String detail = c != null && c.scheme().equals("bearer")
        ? "registry refused a fresh token for " + who + " (insufficient scope or untrusted token)"
        : "registry rejected the credentials of " + who;
    return unauthorized(ep, what, repository, detail);
  }

  private Token refresh(Endpoint ep, Challenge c, String scope, String repository) throws IOException {
    String ask = c.param("scope") != null && !c.param("scope").isEmpty() ? union(scope, c.param("scope")) : scope;
    Token t = fetcher.fetch(ep, c, ask, credentials(ep, false), repository);
    tokens.put(key(ep, scope), t);
    return t;
  }

  private Optional<Credentials> credentials(Endpoint ep, boolean fresh) throws IOException {
    Optional<Credentials> known = fresh ? null : credentials.get(ep.credentialKey());
    if (known == null) {
      known = store.lookup(ep.credentialKey());
      credentials.put(ep.credentialKey(), known);
    }
    return known;
  }

  private static String union(String a, String b) {
    if (a == null || a.isEmpty()) return b;
    java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(List.of(a.split(" ")));
    all.addAll(List.of(b.split(" ")));
    return String.join(" ", all);
  }

  private static Challenge pick(List<Challenge> offered) {
    for (String scheme : List.of("bearer", "basic")) {
      for (Challenge c : offered) {
        if (c.scheme().equals(scheme)) return c;
      }
    }
    return null;
  }

  private static String schemes(List<Challenge> offered) {
    return offered.stream().map(Challenge::scheme).distinct().toList().toString();
  }

  private static RegistryException unauthorized(Endpoint ep, String what, String repository, String detail) {
    return RegistryException.builder(RegistryException.Kind.UNAUTHORIZED, what)
        .status(401)
        .host(ep.authority())
        .repository(repository)
        .detail(detail)
        .build();
  }

  private static String key(Endpoint ep, String scope) {
    return ep.authority() + "|" + scope;
  }
}
