package io.fastpull.record;

import java.io.IOException;

/** Recording failed; {@link #kind()} says why in a closed set, the message what to do. */
public final class RecordException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why a recording failed. */
  public enum Kind {
    /** The run options are not a lazy run. */
    INVALID_ARGUMENT,
    /** The daemon mounted none of the image's layers lazily. */
    NOT_LAZY,
    /** The container read nothing from the lazy layers: there is no profile to store. */
    NOTHING_RECORDED
  }

  private final Kind kind;

  public RecordException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
