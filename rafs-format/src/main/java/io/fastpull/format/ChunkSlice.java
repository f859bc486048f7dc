package io.fastpull.format;

/**
 * A piece of a file read: {@code length} bytes at {@code offsetInChunk} of a decompressed chunk
 * land at {@code fileOffset} of the file.
 */
public record ChunkSlice(ChunkInfo chunk, int offsetInChunk, int length, long fileOffset) {
  public ChunkSlice {
    if (offsetInChunk < 0 || length <= 0
        || (long) offsetInChunk + length > chunk.uncompressedSize()) {
      throw new IllegalArgumentException("slice " + offsetInChunk + "+" + length + " outside "
          + chunk);
    }
  }
}
