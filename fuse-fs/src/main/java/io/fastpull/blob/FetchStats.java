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
 */
public record FetchStats(long sourceRequests, long sourceBytes, long chunksFetched,
    long memoryHits, long cacheHits, long failures) {}
