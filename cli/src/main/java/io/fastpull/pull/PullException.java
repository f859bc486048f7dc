package io.fastpull.pull;

import java.io.IOException;

/** A pull failed; {@link #kind()} says why in a closed set, the message says what to do. */
public final class PullException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why a pull failed. */
  public enum Kind {
    /** The image reference or an option is malformed. */
    INVALID_ARGUMENT,
    /** containerd's socket is missing or does not answer. */
    CONTAINERD_UNAVAILABLE,
    /** containerd has no snapshotter of the requested name. */
    SNAPSHOTTER_NOT_CONFIGURED,
    /**
     * containerd cannot reach its snapshotter (the fastpull daemon is not running), or the
     * snapshotter dropped a call (it stopped or restarted during the pull).
     */
    SNAPSHOTTER_UNAVAILABLE,
    /** The registry has no such image (or no manifest for the platform). */
    IMAGE_NOT_FOUND,
    /** The registry failed otherwise. */
    REGISTRY,
    /** The image's manifest, config or layers are inconsistent. */
    BAD_IMAGE,
    /** containerd refused a call. */
    CONTAINERD
  }

  private final Kind kind;

  public PullException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public PullException(Kind kind, String message) {
    this(kind, message, null);
  }

  public Kind kind() {
    return kind;
  }
}
