package io.fastpull.remote;

import io.fastpull.blob.ChunkReader;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.LayerMeta;
import io.fastpull.profile.StartupProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms one mounted layer: queues the chunks its startup profile lists (else its prefetch table)
 * for prefetch, then, when enabled and the layer fits in half the cache, a background fill of
 * every chunk. {@link #apply} runs once, when the profile lookup has finished; until then the
 * layer reports prefetch source {@code none}. Thread-safe.
 */
final class LayerPrefetch {
  private static final Logger log = LoggerFactory.getLogger(LayerPrefetch.class);

  /** What was queued. */
  record Queued(PrefetchSource source, int chunks) {}

  private final String snapshotKey;
  private final String blob;
  private final LayerMeta meta;
  private final ChunkReader reader;
  private final boolean backgroundFill;
  private final long cacheCapacity;
  private volatile Queued queued = new Queued(PrefetchSource.NONE, 0);

  /**
   * @param backgroundFill whether the daemon fills layers in the background at all
   * @param cacheCapacity the chunk cache's capacity in bytes
   */
  LayerPrefetch(String snapshotKey, String blob, LayerMeta meta, ChunkReader reader,
      boolean backgroundFill, long cacheCapacity) {
    this.snapshotKey = snapshotKey;
    this.blob = blob;
    this.meta = meta;
    this.reader = reader;
    this.backgroundFill = backgroundFill;
    this.cacheCapacity = cacheCapacity;
  }

  Queued queued() {
    return queued;
  }

  /**
   * Queues the prefetch from {@code profile} when it has an entry for this layer (it is the
   * measured startup, so it wins even when it lists few chunks), else from the blob's table; then
   * the background fill. A layer unmounted meanwhile is left alone.
   */
  void apply(Optional<StartupProfile> profile) {
    Optional<int[]> recorded = profile.flatMap(p -> p.chunksOf(blob));
    PrefetchSource source = recorded.isPresent() ? PrefetchSource.PROFILE : PrefetchSource.TABLE;
    List<ChunkInfo> chunks = chunks(recorded.orElseGet(meta::prefetch));
    if (source == PrefetchSource.TABLE && chunks.isEmpty()) {
      source = PrefetchSource.NONE;
    }
    // A reader closed meanwhile (layer unmounted) ignores both requests.
    if (!chunks.isEmpty()) {
      reader.prefetch(chunks);
    }
    queued = new Queued(source, chunks.size());
    boolean fill = fill();
    log.info("layer prefetch queued key={} blob={} source={} chunks={} background_fill={}",
        snapshotKey, blob, source.label(), chunks.size(), fill);
  }

  private List<ChunkInfo> chunks(int[] indexes) {
    List<ChunkInfo> out = new ArrayList<>(indexes.length);
    int skipped = 0;
    for (int i : indexes) {
      if (i < 0 || i >= meta.chunkCount()) {
        skipped++;
      } else {
        out.add(meta.chunk(i));
      }
    }
    if (skipped > 0) {
      log.warn("prefetch list names chunks the layer does not have, skipped key={} blob={}"
          + " skipped={} chunk_count={}", snapshotKey, blob, skipped, meta.chunkCount());
    }
    return out;
  }

  /** Starts the background fill when enabled and the layer fits in half the cache. */
  private boolean fill() {
    if (!backgroundFill) {
      return false;
    }
    List<ChunkInfo> all = new ArrayList<>(meta.chunkCount());
    long size = 0;
    for (int i = 0; i < meta.chunkCount(); i++) {
      ChunkInfo c = meta.chunk(i);
      all.add(c);
      size += c.uncompressedSize();
    }
    // A layer larger than half the cache would evict its own chunks (and everyone else's).
    if (size > cacheCapacity / 2) {
      log.info("background fill skipped, layer too large for the cache key={} blob={}"
          + " uncompressed_bytes={} cache_bytes={}", snapshotKey, blob, size, cacheCapacity);
      return false;
    }
    reader.fill(all);
    return true;
  }
}
