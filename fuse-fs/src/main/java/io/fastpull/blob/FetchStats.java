package io.fastpull.blob;

/**
 * Counters of one {@link ChunkReader} since it was opened.
 *
 * @param sourceRequests ranged reads sent to the {@link ChunkSource}
 * @param sourceBytes stored bytes those reads asked for
 * @param chunksFetched chunks decoded and verified from source bytes
 * @param memoryHits reads answered from decoded chunks held in memory
 * @param cacheHits chunks answered by the chunk cache
 * @param failures reads that failed (source error, corrupt chunk or timeout)
 * @param prefetchHits reads of a chunk that a prefetch, read-ahead or background fill had
 *     already fetched or was fetching (counted once per chunk)
 * @param onDemandWaits reads that found their chunk neither in memory nor in the cache nor
 *     already fetched, and so waited for the source (or for a fetch another read started)
 * @param onDemandWaitNanos total time those reads waited
 * @param backgroundBytes stored bytes fetched by prefetch and background fill (not by reads or
 *     read-ahead)
 */
public record FetchStats(long sourceRequests, long sourceBytes, long chunksFetched,
    long memoryHits, long cacheHits, long failures, long prefetchHits, long onDemandWaits,
    long onDemandWaitNanos, long backgroundBytes) {}
