package io.fastpull.format;

import java.util.HexFormat;
import java.util.Objects;

/**
 * One stored chunk of a lazy blob: a zstd frame (or raw bytes) holding up to one chunk size of
 * file data, possibly several small files packed together.
 *
 * @param index position in the blob's chunk table
 * @param compressedOffset where the stored bytes start, from the start of the blob
 * @param compressedSize stored bytes
 * @param uncompressedSize bytes once decompressed
 * @param raw whether the chunk is stored uncompressed (it did not shrink under zstd)
 * @param digest sha256 of the uncompressed bytes (32 bytes)
 */
public record ChunkInfo(
    int index, long compressedOffset, int compressedSize, int uncompressedSize, boolean raw,
    byte[] digest) {

  public ChunkInfo {
    Objects.requireNonNull(digest, "digest");
    if (digest.length != 32) {
      throw new IllegalArgumentException("chunk digest must be 32 bytes, got " + digest.length);
    }
    if (index < 0 || compressedOffset < 0 || compressedSize <= 0 || uncompressedSize <= 0) {
      throw new IllegalArgumentException("bad chunk #" + index + " offset=" + compressedOffset
          + " stored=" + compressedSize + " size=" + uncompressedSize);
    }
    if (raw && compressedSize != uncompressedSize) {
      throw new IllegalArgumentException("raw chunk #" + index + " stores " + compressedSize
          + " bytes for " + uncompressedSize);
    }
  }

  @Override
  public byte[] digest() {
    return digest.clone();
  }

  /** Whether the uncompressed bytes hash to this chunk's digest (constant time not needed). */
  boolean digestMatches(byte[] sha256) {
    return java.util.Arrays.equals(digest, sha256);
  }

  /** The first blob offset after this chunk's stored bytes. */
  public long compressedEnd() {
    return compressedOffset + compressedSize;
  }

  /** The digest as {@code sha256:<hex>}, the chunk's content address. */
  public String digestString() {
    return "sha256:" + HexFormat.of().formatHex(digest);
  }

  /** The digest as bare lower-case hex. */
  public String digestHex() {
    return HexFormat.of().formatHex(digest);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChunkInfo c && index == c.index && compressedOffset == c.compressedOffset
        && compressedSize == c.compressedSize && uncompressedSize == c.uncompressedSize
        && raw == c.raw && java.util.Arrays.equals(digest, c.digest);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, compressedOffset);
  }

  @Override
  public String toString() {
    return "Chunk#" + index + "[@" + compressedOffset + "+" + compressedSize + " -> "
        + uncompressedSize + (raw ? " raw " : " ") + digestHex().substring(0, 12) + "]";
  }
}
