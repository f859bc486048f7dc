package io.fastpull.blob;

import io.fastpull.cache.ChunkCache;
import io.fastpull.format.ChunkInfo;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Verified, decompressed chunks of one lazy blob, from memory, the node's {@link ChunkCache} or
 * the blob's {@link ChunkSource}, in that order.
 *
 * <p>Every chunk served has passed its sha256 check (here or, for cache hits, in the cache).
 * Concurrent reads of one chunk share one fetch; adjacent chunks requested together are fetched
 * in one source request; a read never waits longer than the configured timeout.
 *
 * <p>Thread-safe. Closing fails pending reads and closes the source; it does not close the cache
 * or the executor, which the caller owns. Idempotent; reads after close fail with {@link
 * IllegalStateException}.
 */
public interface ChunkReader extends Closeable {
  /**
   * The uncompressed bytes of {@code chunk}, blocking until they are available.
   *
   * @return exactly {@code chunk.uncompressedSize()} verified bytes; the array may be shared with
   *     other readers and must not be modified
   * @throws ChunkFetchException if the source fails, the bytes fail their digest check or the
   *     read timeout passes
   * @throws IOException if the cache fails
   */
  byte[] read(ChunkInfo chunk) throws IOException;

  /**
   * Queues {@code chunks} for fetching in the background, in the order given (adjacent ones
   * are merged within short stretches of the list), unless they are held or already being
   * fetched. A read of a queued chunk moves its request to the front at once, so prefetch never
   * makes a read wait longer. Returns at once; failures are only logged at DEBUG (a later
   * {@link #read} reports them).
   */
  void prefetch(List<ChunkInfo> chunks);

  /**
   * Like {@link #prefetch} at a higher priority, for chunks a sequential reader is about to
   * read: read-ahead is served before queued prefetch and fill, after reads that wait.
   */
  void readAhead(List<ChunkInfo> chunks);

  /**
   * Fetches {@code chunks} into the cache at the lowest priority, a few requests at a time, after
   * everything else queued and paused while reads wait for the source; for a layer whose whole
   * content is likely to be read. Returns at once; a later call replaces an unfinished fill.
   * Stops when the reader closes. Chunks already cached cost no request.
   */
  void fill(List<ChunkInfo> chunks);

  /**
   * The chunk indexes read through {@link #read} (by FUSE reads, not by prefetch or read-ahead),
   * each once, in the order of their first read since the reader opened or {@link #resetTrace}
   * ran; at most the first 65,536 distinct chunks. This is the access profile that {@code fastpull
   * record} stores with an image.
   */
  int[] trace();

  /** Forgets the trace so far; reads after this start a new one. */
  void resetTrace();

  FetchStats stats();

  /** The layer this reader serves, for logs (e.g. its digest). */
  String layerId();

  /**
   * A reader over {@code source}.
   *
   * @param layerId names the layer in logs and errors (its digest)
   * @param executor runs source requests; a stalled request occupies one of its threads until
   *     the read timeout interrupts it
   * @param clock measures fetch durations for errors and logs
   */
  static ChunkReader open(String layerId, ChunkSource source, ChunkCache cache,
      FetchOptions options, Executor executor, Clock clock) {
    return new ChunkFetcher(layerId, source, cache, options, executor, clock,
        new FetchDemand(clock));
  }

  /**
   * A reader that shares {@code demand} with the node's other readers, so that background fills
   * yield to a waiting read of any of them.
   */
  static ChunkReader open(String layerId, ChunkSource source, ChunkCache cache,
      FetchOptions options, Executor executor, Clock clock, FetchDemand demand) {
    return new ChunkFetcher(layerId, source, cache, options, executor, clock, demand);
  }
}
