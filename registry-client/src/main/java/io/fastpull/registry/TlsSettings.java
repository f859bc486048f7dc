package io.fastpull.registry;

import java.nio.file.Path;
import java.util.List;

/**
 * How to verify an endpoint's TLS certificate: the JDK's default trust plus {@code caFiles} (PEM), or
 * nothing at all when {@code skipVerify} (hosts.toml {@code skip_verify}; for tests and labs only).
 */
record TlsSettings(boolean skipVerify, List<Path> caFiles) {
  static final TlsSettings DEFAULT = new TlsSettings(false, List.of());

  TlsSettings {
    caFiles = List.copyOf(caFiles);
  }
}
