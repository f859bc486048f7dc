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
 * @param maxInFlight source requests for read-ahead, prefetch and fill that one reader keeps in
 *     flight at once (reads that wait are never held back by this bound); several requests in
 *     flight are what fills a link whose bandwidth-delay product exceeds one request
 * @param fillInFlight of those, how many a background fill may use
 * @param fillQuiet a background fill starts, and resumes, only after no read has waited for the
 *     source for this long (reads waiting pause it at once)
 */
public record FetchOptions(int maxMergeBytes, Duration readTimeout, long memoryBytes,
    int maxInFlight, int fillInFlight, Duration fillQuiet) {
  public FetchOptions {
    Objects.requireNonNull(readTimeout, "readTimeout");
    Objects.requireNonNull(fillQuiet, "fillQuiet");
    if (maxMergeBytes < 1) {
      throw new IllegalArgumentException("maxMergeBytes must be >= 1, got " + maxMergeBytes);
    }
    if (readTimeout.isNegative() || readTimeout.isZero()) {
      throw new IllegalArgumentException("readTimeout must be positive, got " + readTimeout);
    }
    if (memoryBytes < 0) {
      throw new IllegalArgumentException("memoryBytes must be >= 0, got " + memoryBytes);
    }
    if (maxInFlight < 1 || fillInFlight < 0 || fillInFlight > maxInFlight) {
      throw new IllegalArgumentException("need 1 <= maxInFlight and 0 <= fillInFlight <= "
          + "maxInFlight, got " + maxInFlight + " and " + fillInFlight);
    }
    if (fillQuiet.isNegative()) {
      throw new IllegalArgumentException("fillQuiet must not be negative, got " + fillQuiet);
    }
  }

  /**
   * 4 MiB merges, 30 s read timeout, 64 MiB of decoded chunks in memory, 4 requests in flight
   * (2 for a fill), fill after 1 s without waiting reads.
   */
  public static FetchOptions defaults() {
    return new FetchOptions(4 << 20, Duration.ofSeconds(30), 64L << 20, 4, 2,
        Duration.ofSeconds(1));
  }

  public FetchOptions withReadTimeout(Duration timeout) {
    return new FetchOptions(maxMergeBytes, timeout, memoryBytes, maxInFlight, fillInFlight,
        fillQuiet);
  }

  public FetchOptions withMaxMergeBytes(int bytes) {
    return new FetchOptions(bytes, readTimeout, memoryBytes, maxInFlight, fillInFlight,
        fillQuiet);
  }

  public FetchOptions withMemoryBytes(long bytes) {
    return new FetchOptions(maxMergeBytes, readTimeout, bytes, maxInFlight, fillInFlight,
        fillQuiet);
  }

  public FetchOptions withInFlight(int requests, int forFill) {
    return new FetchOptions(maxMergeBytes, readTimeout, memoryBytes, requests, forFill,
        fillQuiet);
  }

  public FetchOptions withFillQuiet(Duration quiet) {
    return new FetchOptions(maxMergeBytes, readTimeout, memoryBytes, maxInFlight, fillInFlight,
        quiet);
  }
}
