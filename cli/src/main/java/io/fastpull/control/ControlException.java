package io.fastpull.control;

import java.io.IOException;

/** A control call failed; {@link #kind()} says why in a closed set, the message what to do. */
public final class ControlException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why a control call failed. */
  public enum Kind {
    /** No socket at the path, or nothing answers on it. */
    UNAVAILABLE,
    /** The daemon answers but has no control service (a fastpull daemon older than this CLI). */
    UNIMPLEMENTED,
    /** A layer the call named is not mounted (any more). */
    NOT_FOUND,
    /** The daemon refused or failed the call. */
    FAILED
  }

  private final Kind kind;

  public ControlException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
