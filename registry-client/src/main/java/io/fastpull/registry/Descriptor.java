package io.fastpull.registry;

import com.fasterxml.jackson.annotation.JsonCreator;
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
 * @param artifactType the type of the artifact it points to (OCI 1.1; referrer lists and index entries) or null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Descriptor(
    String mediaType,
    Digest digest,
    long size,
    Map<String, String> annotations,
    Platform platform,
    List<String> urls,
    String artifactType) {

  @JsonCreator
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
    if (artifactType != null && artifactType.isEmpty()) {
      throw new IllegalArgumentException("descriptor " + digest + " has an empty artifactType (omit it instead)");
    }
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    urls = urls == null ? List.of() : List.copyOf(urls);
  }

  /** A descriptor without artifactType (the form before OCI 1.1). */
  public Descriptor(
      String mediaType, Digest digest, long size, Map<String, String> annotations, Platform platform, List<String> urls) {
    this(mediaType, digest, size, annotations, platform, urls, null);
  }

  /** A descriptor with no annotations, platform, urls or artifactType. */
  public static Descriptor of(String mediaType, Digest digest, long size) {
    return new Descriptor(mediaType, digest, size, null, null, null, null);
  }

  /** The descriptor of {@code content} with the given media type (sha256). */
  public static Descriptor of(String mediaType, byte[] content) {
    return of(mediaType, Digest.sha256(content), content.length);
  }

  /** This descriptor with {@code platform} set. */
  public Descriptor withPlatform(Platform platform) {
    return new Descriptor(mediaType, digest, size, annotations, platform, urls, artifactType);
  }

  /** This descriptor with {@code artifactType} set (null removes it). */
  public Descriptor withArtifactType(String artifactType) {
    return new Descriptor(mediaType, digest, size, annotations, platform, urls, artifactType);
  }

  /** This descriptor with {@code annotations} in place of its own. */
  public Descriptor withAnnotations(Map<String, String> annotations) {
    return new Descriptor(mediaType, digest, size, annotations, platform, urls, artifactType);
  }
}
