package io.fastpull.cache;

import io.fastpull.format.ChunkInfo;
import java.io.Closeable;
import java.io.IOException;
import java.util.Optional;

/**
 * A node-wide store of decompressed chunk data, addressed by the chunk's sha256 (the {@link
 * ChunkInfo#digest()} of its uncompressed bytes): identical chunks of different layers and images
 * are stored once.
 *
 * <p>Vocabulary: an <em>entry</em> is one chunk's bytes under its digest; the <em>size</em> is the
 * sum of entry lengths; the <em>capacity</em> bounds the size, enforced by evicting the least
 * recently used entries that are not <em>pinned</em>.
 *
 * <p>Integrity contract: {@link #get} returns only bytes whose sha256 is the chunk's digest; an
 * entry that fails the check is dropped, counted as corrupt and reported as absent, so the caller
 * fetches it again. Wrong bytes are never returned.
 *
 * <p>Thread-safe. {@link #close()} is idempotent; any other call after it throws {@link
 * IllegalStateException}.
 */
public interface ChunkCache extends Closeable {
  /**
   * The verified bytes of {@code chunk}, or empty if not cached (or the cached copy was damaged
   * and has been dropped). A hit refreshes the entry's recency.
   *
   * @throws IOException if the store cannot be read for a reason other than absence
   */
  Optional<byte[]> get(ChunkInfo chunk) throws IOException;

  /**
   * Stores {@code data}, which must be the verified uncompressed bytes of {@code chunk} (as {@link
   * io.fastpull.format.ChunkCodec} returns them). Idempotent: storing a present digest only
   * refreshes it. May evict other, unpinned entries to stay within the capacity.
   *
   * @throws IllegalArgumentException if {@code data} has the wrong length
   * @throws IOException if the entry could not be written; nothing partial is left visible
   */
  void put(ChunkInfo chunk, byte[] data) throws IOException;

  /** Whether an entry for {@code chunk}'s digest is present (not verified). */
  boolean contains(ChunkInfo chunk);

  /**
   * Keeps the entry of {@code chunk}'s digest (present now or stored later) from eviction until
   * the returned pin is closed. Pins nest: an entry is evictable when all its pins are closed.
   */
  Pin pin(ChunkInfo chunk);

  /** A snapshot of the counters. */
  CacheStats stats();

  /** A hold on one entry; {@link #close()} is idempotent. */
  interface Pin extends AutoCloseable {
    @Override
    void close();
  }
}
