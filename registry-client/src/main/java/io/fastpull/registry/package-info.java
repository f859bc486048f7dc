/**
 * An OCI distribution client: references, manifests and indexes, blob reads (whole and ranged), blob and
 * manifest pushes, OCI 1.1 referrers (API or referrers tag), registry authentication, containerd
 * {@code hosts.toml} mirrors and TLS settings.
 *
 * <p>Vocabulary used throughout: a <em>registry</em> is the name in an image reference ({@code docker.io},
 * {@code 127.0.0.1:5000}); an <em>endpoint</em> is a base URL that serves the registry's {@code /v2/} API
 * (the origin, or a mirror from {@code hosts.toml}); a <em>repository</em> is the path inside a registry
 * ({@code library/busybox}). The entry point is {@link io.fastpull.registry.RegistryClient}.
 *
 * <p>This package depends only on the JDK, Jackson and SLF4J; it knows nothing of filesystems, FUSE or gRPC.
 * Credential sources live in {@code io.fastpull.registry.auth}.
 */
package io.fastpull.registry;
