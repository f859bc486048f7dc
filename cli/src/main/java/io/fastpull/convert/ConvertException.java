package io.fastpull.convert;

import java.io.IOException;

/**
 * The image cannot be converted as it is. {@link #kind()} says why in a closed set; the message
 * names the content (digest, media type) and where it was found, and says what to do.
 */
public final class ConvertException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why a conversion stopped. */
  public enum Kind {
    /** A layer's media type is neither an OCI/Docker tar layer nor known to be foreign. */
    UNSUPPORTED_MEDIA_TYPE,
    /** A foreign or non-distributable layer (has URLs or a foreign media type). */
    FOREIGN_LAYER,
    /** The source already is a lazy image (or an index holding lazy manifests). */
    ALREADY_CONVERTED,
    /** A manifest, config or layer the image references is absent from the source. */
    MISSING_CONTENT,
    /** Content did not match its digest, size or the config's diff_id. */
    DIGEST_MISMATCH,
    /** The image is malformed or uses a shape this converter does not handle. */
    BAD_IMAGE,
    /** {@code --platform} matched no manifest of the index. */
    NO_MATCHING_PLATFORM,
    /** The source or target argument cannot be parsed. */
    BAD_REFERENCE,
    /**
     * The target repository does not take a push (credentials, permissions, host, TLS or plain
     * HTTP); checked before any layer is converted.
     */
    TARGET_NOT_WRITABLE
  }

  private final Kind kind;

  public ConvertException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public ConvertException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
