package io.fastpull.registry.auth;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;

/**
 * Looks up credentials for a registry. Implementations must be thread-safe and must never log secrets.
 */
@FunctionalInterface
public interface CredentialStore {
  /**
   * The credentials for {@code registry}, the name as written in image references ({@code docker.io},
   * {@code 127.0.0.1:5000}) or a mirror's host[:port].
   *
   * @return empty when none are configured (the client then tries anonymous access)
   * @throws IOException when a configured source cannot be read (bad config file, failing helper)
   */
  Optional<Credentials> lookup(String registry) throws IOException;

  /** A store with no credentials: anonymous access everywhere. */
  static CredentialStore anonymous() {
    return registry -> Optional.empty();
  }

  /** A store with fixed credentials per registry name. */
  static CredentialStore of(Map<String, Credentials> byRegistry) {
    Map<String, Credentials> copy = Map.copyOf(byRegistry);
    return registry -> Optional.ofNullable(copy.get(registry));
  }
}
