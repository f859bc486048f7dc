package io.fastpull.cache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bookkeeping both caches share: entry sizes in least-recently-used order, pin counts, the
 * size bound and the counters. Holds no data.
 *
 * <p>Not thread-safe: callers hold the lock of the cache that owns it.
 */
final class LruIndex {
  private final long capacity;
  /** Digest hex to entry size, eldest (least recently used) first. */
  private final LinkedHashMap<String, Long> entries = new LinkedHashMap<>(64, 0.75f, true);
  private final Map<String, Integer> pins = new HashMap<>();
  private long size;
  long hits;
  long misses;
  long corrupt;
  long bytesWritten;
  long bytesEvicted;
  long evictions;

  LruIndex(long capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("cache capacity must be >= 0, got " + capacity);
    }
    this.capacity = capacity;
  }

  boolean contains(String key) {
    return entries.containsKey(key);
  }

  /** Marks {@code key} most recently used; false if absent. */
  boolean touch(String key) {
    return entries.get(key) != null;
  }

  /** Adds an entry as most recently used (recovery adds in mtime order). */
  void add(String key, long bytes) {
    Long old = entries.put(key, bytes);
    size += bytes - (old == null ? 0 : old);
  }

  void remove(String key) {
    Long old = entries.remove(key);
    if (old != null) {
      size -= old;
    }
  }

  void pin(String key) {
    pins.merge(key, 1, Integer::sum);
  }

  void unpin(String key) {
    pins.computeIfPresent(key, (k, n) -> n == 1 ? null : n - 1);
  }

  boolean pinned(String key) {
    return pins.containsKey(key);
  }

  /**
   * Removes least recently used unpinned entries until the size fits the capacity, and returns
   * their keys so the caller deletes their data. Pinned entries are skipped, so the size may stay
   * above the capacity while they are held.
   */
  List<String> evict() {
    List<String> victims = new ArrayList<>();
    Iterator<Map.Entry<String, Long>> it = entries.entrySet().iterator();
    while (size > capacity && it.hasNext()) {
      Map.Entry<String, Long> e = it.next();
      if (pins.containsKey(e.getKey())) {
        continue;
      }
      it.remove();
      size -= e.getValue();
      bytesEvicted += e.getValue();
      evictions++;
      victims.add(e.getKey());
    }
    return victims;
  }

  CacheStats stats() {
    return new CacheStats(hits, misses, corrupt, bytesWritten, bytesEvicted, evictions, size,
        entries.size(), capacity);
  }
}
