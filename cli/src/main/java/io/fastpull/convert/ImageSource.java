package io.fastpull.convert;

import io.fastpull.registry.Descriptor;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.ManifestContent;
import io.fastpull.registry.RegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an image is read from. Content comes back as the source stores it; manifests and small
 * blobs are verified against their descriptors here, streamed blobs by the caller (who hashes them
 * on the way anyway). Absent content is a {@link ConvertException.Kind#MISSING_CONTENT}.
 *
 * <p>Implementations are thread-safe for concurrent {@link #openBlob} calls; {@link #close()} is
 * idempotent.
 */
sealed interface ImageSource extends AutoCloseable
    permits RegistrySource, OciLayoutSource, DockerArchiveSource {

  /** Where the image is, for messages ({@code 127.0.0.1:5000/app:1}, {@code oci:/dir:tag}). */
  String describe();

  /** The manifest or index the source names. */
  ManifestContent root() throws IOException;

  /** The manifest an index entry names. */
  ManifestContent manifest(Descriptor entry) throws IOException;

  /** A whole small blob (a config), verified; at most {@code maxSize} bytes. */
  byte[] readBlob(Descriptor blob, int maxSize) throws IOException;

  /** Streams a blob; the caller verifies its digest and size at EOF. */
  InputStream openBlob(Descriptor blob) throws IOException;

  /** The registry repository holding the image, when blobs can be mounted from it. */
  default Optional<ImageReference> repository() {
    return Optional.empty();
  }

  @Override
  void close() throws IOException;

  /**
   * Opens {@code spec}: {@code oci:DIR[:TAG]}, {@code docker-archive:FILE}, or a registry
   * reference (optionally prefixed {@code docker://}).
   */
  static ImageSource open(String spec, RegistryClient client) throws IOException {
    if (spec.startsWith("oci:")) {
      String rest = spec.substring(4);
      String tag = null;
      int colon = rest.lastIndexOf(':');
      if (colon >= 0 && rest.indexOf('/', colon) < 0) {
        tag = rest.substring(colon + 1);
        rest = rest.substring(0, colon);
      }
      return OciLayoutSource.open(Path.of(rest), Optional.ofNullable(tag));
    }
    if (spec.startsWith("docker-archive:")) {
      return DockerArchiveSource.open(Path.of(spec.substring("docker-archive:".length())));
    }
    String ref = spec.startsWith("docker://") ? spec.substring(9) : spec;
    return new RegistrySource(client, Converter.parseReference(ref, "source"));
  }
}
