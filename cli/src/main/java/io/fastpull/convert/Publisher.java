package io.fastpull.convert;

import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.ManifestContent;
import io.fastpull.registry.RegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Puts content into the target repository: blobs copied from the source (mounted across
 * repositories of the same registry when possible) and manifests by digest. Never tags: the
 * converter does that last, once everything the tag points to is present.
 */
final class Publisher {
  private static final int IN_MEMORY = 16 << 20;

  private final RegistryClient client;
  private final ImageSource source;
  private final ImageReference target;

  Publisher(RegistryClient client, ImageSource source, ImageReference target) {
    this.client = client;
    this.source = source;
    this.target = target;
  }

  /** Makes {@code blob} of the source present in the target repository. */
  void copyBlob(Descriptor blob) throws IOException {
    if (client.blobExists(target, blob.digest())) {
      return;
    }
    Optional<ImageReference> from = source.repository();
    if (from.isPresent() && from.get().registry().equals(target.registry())
        && client.mountBlob(target, from.get().repository(), blob.digest())) {
      return;
    }
    if (blob.size() <= IN_MEMORY && blob.digest().algorithm().equals("sha256")) {
      client.pushBlob(target, source.readBlob(blob, IN_MEMORY));
      return;
    }
    try (InputStream in = source.openBlob(blob)) {
      client.pushBlobChunked(target, blob.digest(), in);
    }
  }

  /** Copies an original manifest with its config and layers, by digest. */
  void copyManifest(ManifestContent content) throws IOException {
    Manifest m = content.manifest();
    copyBlob(m.config());
    for (Descriptor l : m.layers()) {
      copyBlob(l);
    }
    pushByDigest(content.mediaType(), content.bytes(), content.digest());
  }

  /** Pushes manifest or index bytes under their digest (no tag). */
  Digest push(String mediaType, byte[] bytes) throws IOException {
    return pushByDigest(mediaType, bytes, Digest.sha256(bytes));
  }

  private Digest pushByDigest(String mediaType, byte[] bytes, Digest digest) throws IOException {
    return client.pushManifest(target.withDigest(digest), mediaType, bytes);
  }

  /** Points the target's tag at content already pushed by digest: the last step. */
  void tag(String mediaType, byte[] bytes) throws IOException {
    client.pushManifest(target, mediaType, bytes);
  }
}
