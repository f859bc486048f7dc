package io.fastpull.convert;

import io.fastpull.format.BlobFooter;
import io.fastpull.registry.Digest;
import java.time.Duration;
import java.util.Objects;

/**
 * What converting one source layer produced.
 *
 * @param source the original layer blob
 * @param sourceMediaType its media type
 * @param sourceSize its size in bytes
 * @param blob the lazy blob
 * @param blobSize the lazy blob's size in bytes
 * @param diffId the uncompressed tar's digest (matches the config's diff_id)
 * @param footer the lazy blob's footer (where its metadata is)
 * @param entries tar entries read
 * @param chunks distinct chunks stored
 * @param dedupedChunks chunks stored once for several occurrences
 * @param fileBytes bytes of file content in the layer
 * @param uploaded false when the target already had the lazy blob
 * @param convertTime reading the source and writing the lazy blob
 * @param pushTime checking for and uploading the lazy blob
 */
public record LayerStats(
    Digest source, String sourceMediaType, long sourceSize, Digest blob, long blobSize,
    String diffId, BlobFooter footer, long entries, int chunks, long dedupedChunks, long fileBytes, boolean uploaded,
    Duration convertTime, Duration pushTime) {
  public LayerStats {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(footer, "footer");
    if (sourceSize < 0 || blobSize < 0) {
      throw new IllegalArgumentException("negative size: source " + sourceSize + ", blob "
          + blobSize);
    }
  }
}
