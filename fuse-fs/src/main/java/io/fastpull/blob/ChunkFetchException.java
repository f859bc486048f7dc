package io.fastpull.blob;

import java.io.IOException;

/**
 * A chunk could not be read. The message names the layer, the chunk and the source, so the one
 * log line written where this is handled says everything an operator needs.
 */
public final class ChunkFetchException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why a chunk could not be read. */
  public enum Reason {
    /** The source's bytes do not decode to the chunk's digest (damaged blob or source). */
    CORRUPT,
    /** The source failed the request. */
    SOURCE,
    /** The source did not answer within the read timeout. */
    TIMEOUT,
    /** The reader was closed. */
    CLOSED
  }

  private final Reason reason;

  public ChunkFetchException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
