package io.fastpull.control;

import java.util.Objects;

/**
 * What one mounted lazy layer did since it was mounted, as the daemon counts it.
 *
 * @param blobDigest the lazy blob's digest ({@code sha256:…})
 * @param snapshotKey the key of the snapshot the layer was mounted for (containerd's, starting
 *     with its namespace); one blob can be mounted for several snapshots
 * @param storedBytes compressed chunk bytes the blob stores
 * @param chunkCount chunks in the blob
 * @param fetchedBytes bytes read from the registry
 * @param sourceRequests range requests sent to the registry
 * @param cacheHits chunk reads served by the node's chunk cache
 * @param memoryHits chunk reads served from memory
 * @param prefetchSource where the prefetch list came from: {@code profile}, {@code table} or
 *     {@code none}
 * @param prefetchChunks chunks queued for prefetch at mount
 * @param prefetchHits reads that found their chunk already prefetched
 * @param onDemandWaits reads that waited for a chunk fetch
 * @param onDemandWaitMicros total time those reads waited, in microseconds
 * @param backgroundBytes bytes fetched by the background fill
 * @param failures failed chunk fetches
 */
public record LayerActivity(String blobDigest, String snapshotKey, long storedBytes,
    long chunkCount, long fetchedBytes, long sourceRequests, long cacheHits, long memoryHits,
    String prefetchSource, long prefetchChunks, long prefetchHits, long onDemandWaits,
    long onDemandWaitMicros, long backgroundBytes, long failures) {
  public LayerActivity {
    Objects.requireNonNull(blobDigest, "blobDigest");
    Objects.requireNonNull(snapshotKey, "snapshotKey");
    prefetchSource = prefetchSource == null || prefetchSource.isEmpty() ? "none" : prefetchSource;
  }

  /** Fetched bytes as a percentage of stored bytes (0 for an empty blob). */
  public double fetchedPercent() {
    return storedBytes == 0 ? 0 : 100.0 * fetchedBytes / storedBytes;
  }
}
