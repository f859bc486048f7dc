package io.fastpull.cache;

/**
 * Counters of a {@link ChunkCache} since it was opened (sizes are current values).
 *
 * @param hits {@code get} calls answered from the cache
 * @param misses {@code get} calls that found nothing usable
 * @param corrupt entries dropped because their bytes failed the digest check
 * @param bytesWritten bytes stored by {@code put}
 * @param bytesEvicted bytes removed to stay within the capacity
 * @param evictions entries removed to stay within the capacity
 * @param sizeBytes bytes held now
 * @param entries entries held now
 * @param capacityBytes the configured bound on {@code sizeBytes}
 */
public record CacheStats(long hits, long misses, long corrupt, long bytesWritten,
    long bytesEvicted, long evictions, long sizeBytes, long entries, long capacityBytes) {
  public CacheStats {
    if (hits < 0 || misses < 0 || corrupt < 0 || bytesWritten < 0 || bytesEvicted < 0
        || evictions < 0 || sizeBytes < 0 || entries < 0 || capacityBytes < 0) {
      throw new IllegalArgumentException("negative cache counter: hits=" + hits + " misses="
          + misses + " corrupt=" + corrupt + " written=" + bytesWritten + " evicted="
          + bytesEvicted + "/" + evictions + " size=" + sizeBytes + " entries=" + entries
          + " capacity=" + capacityBytes);
    }
  }
}
