package io.fastpull.format;

import java.io.IOException;

/**
 * A lazy blob, its metadata or one of its chunks is damaged or hostile.
 *
 * <p>Every check that reads an offset, length or count out of a blob throws this (never an
 * unchecked exception) and names where the bad value sits, so an operator can find it with a hex
 * dump. The location is a byte offset in the region named by {@link #region()}.
 */
public final class FormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Which part of a blob a {@link FormatException} points into. */
  public enum Region {
    /** Offsets count from the start of the blob. */
    BLOB,
    /** Offsets count from the start of the decompressed metadata. */
    METADATA,
    /** Offsets count from the start of one chunk's data. */
    CHUNK
  }

  private final Region region;
  private final long offset;

  public FormatException(Region region, long offset, String message) {
    super(message + " (at " + region.name().toLowerCase(java.util.Locale.ROOT) + " offset 0x"
        + Long.toHexString(offset) + ")");
    this.region = region;
    this.offset = offset;
  }

  public FormatException(Region region, long offset, String message, Throwable cause) {
    this(region, offset, message);
    initCause(cause);
  }

  public Region region() {
    return region;
  }

  /** The byte offset of the bad value in {@link #region()}. */
  public long offset() {
    return offset;
  }
}
