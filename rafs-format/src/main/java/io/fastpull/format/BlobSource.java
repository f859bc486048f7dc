package io.fastpull.format;

import java.io.IOException;

/**
 * Random access to the bytes of one lazy blob: a local file, a byte array, or (in other modules)
 * ranged reads from a registry.
 *
 * <p>Implementations must be safe for concurrent use by several threads.
 */
public interface BlobSource {
  /** Total size of the blob in bytes. */
  long size() throws IOException;

  /**
   * Reads exactly {@code length} bytes starting at {@code offset} into {@code dst}.
   *
   * @throws java.io.EOFException if the blob ends first
   */
  void readFully(long offset, byte[] dst, int dstOffset, int length) throws IOException;

  /** A source over bytes held in memory (tests, small blobs). */
  static BlobSource of(byte[] bytes) {
    return new ByteArraySource(bytes);
  }

  /** A source over a local file, opened for reading; close it to release the descriptor. */
  static FileBlobSource open(java.nio.file.Path file) throws IOException {
    return new FileBlobSource(file);
  }
}
