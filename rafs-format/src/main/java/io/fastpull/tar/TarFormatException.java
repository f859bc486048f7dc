package io.fastpull.tar;

import java.io.IOException;

/**
 * A tar archive is malformed, hostile, truncated or uses a feature this package does not support.
 *
 * <p>The message names the byte offset in the (uncompressed) archive, in hex, and what was wrong
 * there. Callers should not parse the message; {@link #offset()} carries the position.
 */
public final class TarFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  private final long offset;
  private final String problem;

  /**
   * @param offset byte offset in the archive where the problem was found
   * @param problem what was wrong, phrased so an operator can act on it
   */
  public TarFormatException(long offset, String problem) {
    super(String.format("tar archive at offset 0x%x: %s", offset, problem));
    this.offset = offset;
    this.problem = problem;
  }

  /** Byte offset in the uncompressed archive where the problem was found. */
  public long offset() {
    return offset;
  }

  /** What was wrong, without the offset. */
  public String problem() {
    return problem;
  }
}
