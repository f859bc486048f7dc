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
   * Starts fetching {@code chunks} in the background (merging adjacent ones) unless they are
   * held or already being fetched. Returns at once; failures are only logged at DEBUG (a later
   * {@link #read} reports them).
   */
  void prefetch(List<ChunkInfo> chunks);

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
    return new ChunkFetcher(layerId, source, cache, options, executor, clock);
  }
}
