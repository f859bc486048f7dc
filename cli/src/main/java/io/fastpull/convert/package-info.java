/**
 * Image conversion: reads an OCI or Docker image (from a registry, an OCI layout directory or a
 * {@code docker save} archive), turns every layer into a lazy blob with {@code rafs-format}'s
 * {@code LayerWriter}, and publishes blobs, manifests and (last) the tag to a registry.
 *
 * <p>Owns the mapping from an original image to its lazy twin (manifest shape, annotations,
 * determinism of the JSON). Depends on {@code rafs-format} and {@code registry-client}; never on
 * the daemon, FUSE or picocli (the command line is a thin adapter in {@code io.fastpull.cli}).
 */
package io.fastpull.convert;
