package io.fastpull.convert;

import io.fastpull.registry.Descriptor;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.ManifestContent;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** An image in a registry, read through the shared {@link RegistryClient} (which it does not own). */
final class RegistrySource implements ImageSource {
  private final RegistryClient client;
  private final ImageReference ref;

  RegistrySource(RegistryClient client, ImageReference ref) {
    this.client = client;
    this.ref = ref;
  }

  @Override
  public String describe() {
    return ref.toString();
  }

  @Override
  public ManifestContent root() throws IOException {
    try {
      return client.fetchManifest(ref);
    } catch (RegistryException e) {
      throw translate(e, "image " + ref);
    }
  }

  @Override
  public ManifestContent manifest(Descriptor entry) throws IOException {
    try {
      return client.fetchManifest(ref.withDigest(entry.digest()));
    } catch (RegistryException e) {
      throw translate(e, "manifest " + entry.digest() + " listed by " + ref);
    }
  }

  @Override
  public byte[] readBlob(Descriptor blob, int maxSize) throws IOException {
    try {
      return client.readBlob(ref, blob.digest(), maxSize);
    } catch (RegistryException e) {
      throw translate(e, "blob " + blob.digest() + " (" + blob.mediaType() + ") of " + ref);
    }
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    try {
      return client.openBlob(ref, blob.digest());
    } catch (RegistryException e) {
      throw translate(e, "blob " + blob.digest() + " (" + blob.mediaType() + ") of " + ref);
    }
  }

  @Override
  public Optional<ImageReference> repository() {
    return Optional.of(ref);
  }

  @Override
  public void close() {}

  private static IOException translate(RegistryException e, String what) {
    if (e.kind() == RegistryException.Kind.NOT_FOUND) {
      return new ConvertException(ConvertException.Kind.MISSING_CONTENT,
          what + " is missing from the registry: " + e.getMessage(), e);
    }
    if (e.kind() == RegistryException.Kind.DIGEST_MISMATCH) {
      return new ConvertException(ConvertException.Kind.DIGEST_MISMATCH,
          what + " does not match its digest: " + e.getMessage(), e);
    }
    return e;
  }
}
