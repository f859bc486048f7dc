package io.fastpull.remote;

import io.fastpull.blob.FetchStats;
import io.fastpull.registry.Digest;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One mounted lazy layer as {@link LazyLayers#layers()} reports it.
 *
 * @param blob the lazy blob's digest
 * @param snapshotKey the snapshot key (or, on remount, name) the layer was mounted for
 * @param mountpoint its FUSE mountpoint
 * @param repository {@code registry/repository} the chunks are read from
 * @param storedBytes compressed chunk bytes of the blob (the chunk data before the metadata)
 * @param chunkCount chunks in the blob
 * @param stats the reader's counters since the mount
 * @param prefetchChunks chunks queued for prefetch at mount
 * @param prefetchSource where that list came from
 */
public record LayerStatus(Digest blob, String snapshotKey, Path mountpoint, String repository,
    long storedBytes, int chunkCount, FetchStats stats, int prefetchChunks,
    PrefetchSource prefetchSource) {
  public LayerStatus {
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(snapshotKey, "snapshotKey");
    Objects.requireNonNull(mountpoint, "mountpoint");
    Objects.requireNonNull(repository, "repository");
    Objects.requireNonNull(stats, "stats");
    Objects.requireNonNull(prefetchSource, "prefetchSource");
    if (storedBytes < 0 || chunkCount < 0 || prefetchChunks < 0) {
      throw new IllegalArgumentException("negative size in layer status of " + blob
          + ": stored=" + storedBytes + " chunks=" + chunkCount + " prefetch=" + prefetchChunks);
    }
  }
}
