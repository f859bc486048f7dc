package io.fastpull.registry;

import java.util.Arrays;

/**
 * A manifest or index exactly as the registry served it. The raw bytes are kept because the digest is
 * computed over them; re-serializing the parsed form would change it.
 *
 * @param mediaType the media type from the response's Content-Type (or the JSON when absent)
 * @param digest the verified digest of {@code bytes}
 * @param bytes the raw bytes; callers must not modify them
 */
public record ManifestContent(String mediaType, Digest digest, byte[] bytes) {
  public ManifestContent {
    if (mediaType == null || digest == null || bytes == null) {
      throw new IllegalArgumentException("manifest content needs mediaType, digest and bytes");
    }
  }

  /** Whether this is an index (OCI index or Docker manifest list). */
  public boolean isIndex() {
    return MediaTypes.INDEXES.contains(mediaType);
  }

  /** The descriptor of this content. */
  public Descriptor descriptor() {
    return Descriptor.of(mediaType, digest, bytes.length);
  }

  /** Parses as an image manifest. @throws RegistryException PROTOCOL when it is not one */
  public Manifest manifest() throws RegistryException {
    if (isIndex()) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, "content " + digest + " is an index (" + mediaType + "), not a manifest")
          .build();
    }
    return Json.read(bytes, Manifest.class, "manifest " + digest);
  }

  /** Parses as an index. @throws RegistryException PROTOCOL when it is not one */
  public Index index() throws RegistryException {
    if (!isIndex()) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, "content " + digest + " is a manifest (" + mediaType + "), not an index")
          .build();
    }
    return Json.read(bytes, Index.class, "index " + digest);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ManifestContent m
        && m.mediaType.equals(mediaType)
        && m.digest.equals(digest)
        && Arrays.equals(m.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return digest.hashCode();
  }

  @Override
  public String toString() {
    return "ManifestContent[" + mediaType + ", " + digest + ", " + bytes.length + " bytes]";
  }
}
