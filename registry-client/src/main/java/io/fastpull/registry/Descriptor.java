package io.fastpull.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * An OCI content descriptor: what a piece of content is, its digest and its size.
 *
 * @param mediaType the media type, never empty
 * @param digest the content digest
 * @param size the content size in bytes, not negative
 * @param annotations annotations, never null
 * @param platform the platform (index entries only) or null
 * @param urls alternate download URLs, never null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    Map<String, String> annotations,
    Platform platform,
    List<String> urls) {

  public Descriptor {
    if (mediaType == null || mediaType.isEmpty()) {
      throw new IllegalArgumentException("descriptor for " + digest + " has no mediaType");
    }
    if (digest == null) {
      throw new IllegalArgumentException("descriptor of type " + mediaType + " has no digest");
    }
    if (size < 0) {
      throw new IllegalArgumentException("descriptor " + digest + " has negative size " + size);
    }
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    urls = urls == null ? List.of() : List.copyOf(urls);
  }

  /** A descriptor with no annotations, platform or urls. */
  public static Descriptor of(String mediaType, Digest digest, long size) {
    return new Descriptor(mediaType, digest, size, null, null, null);
  }

  /** The descriptor of {@code content} with the given media type (sha256). */
  public static Descriptor of(String mediaType, byte[] content) {
    return of(mediaType, Digest.sha256(content), content.length);
  }

  /** This descriptor with {@code platform} set. */
  public Descriptor withPlatform(Platform platform) {
    return new Descriptor(mediaType, digest, size, annotations, platform, urls);
  }
}
