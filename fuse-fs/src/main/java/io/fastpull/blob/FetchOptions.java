package io.fastpull.blob;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ChunkReader} fetches.
 *
 * @param maxMergeBytes adjacent chunks are fetched in one source request up to this many stored
 *     bytes (a single larger chunk is still fetched alone)
 * @param readTimeout how long a read waits for its chunk before failing; a fetch older than this
 *     is abandoned (interrupted) so that a stalled source gives an error, never a hang
 * @param memoryBytes bound on decoded chunks kept in memory for reads that follow (FUSE reads
 *     come in at most 128 KiB while chunks are up to 16 MiB)
 * @param readaheadBytes how far past a sequential read to fetch ahead (0 disables read-ahead)
 */
public record FetchOptions(int maxMergeBytes, Duration readTimeout, long memoryBytes,
    long readaheadBytes) {
  public FetchOptions {
    Objects.requireNonNull(readTimeout, "readTimeout");
    if (maxMergeBytes < 1) {
      throw new IllegalArgumentException("maxMergeBytes must be >= 1, got " + maxMergeBytes);
    }
    if (readTimeout.isNegative() || readTimeout.isZero()) {
      throw new IllegalArgumentException("readTimeout must be positive, got " + readTimeout);
    }
    if (memoryBytes < 0 || readaheadBytes < 0) {
      throw new IllegalArgumentException("memoryBytes and readaheadBytes must be >= 0, got "
          + memoryBytes + " and " + readaheadBytes);
    }
  }

  /** 4 MiB merges, 30 s read timeout, 64 MiB of decoded chunks in memory, 4 MiB read-ahead. */
  public static FetchOptions defaults() {
    return new FetchOptions(4 << 20, Duration.ofSeconds(30), 64L << 20, 4L << 20);
  }

  public FetchOptions withReadTimeout(Duration timeout) {
    return new FetchOptions(maxMergeBytes, timeout, memoryBytes, readaheadBytes);
  }

  public FetchOptions withMaxMergeBytes(int bytes) {
    return new FetchOptions(bytes, readTimeout, memoryBytes, readaheadBytes);
  }

  public FetchOptions withMemoryBytes(long bytes) {
    return new FetchOptions(maxMergeBytes, readTimeout, bytes, readaheadBytes);
  }

  public FetchOptions withReadaheadBytes(long bytes) {
    return new FetchOptions(maxMergeBytes, readTimeout, memoryBytes, bytes);
  }
}
