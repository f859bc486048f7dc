package io.fastpull.blob;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Decoded, verified chunks of one blob kept in memory, least recently used dropped first, bounded
 * in bytes. A FUSE read is at most 128 KiB, so without this every read of a 1 MiB chunk would
 * read and verify the whole chunk again. Thread-safe.
 */
final class MemoryChunks {
  private final long capacity;
  /** Guarded by {@code this}. */
  private final LinkedHashMap<Integer, byte[]> chunks = new LinkedHashMap<>(16, 0.75f, true);
  /** Guarded by {@code this}. */
  private long size;

  MemoryChunks(long capacity) {
    this.capacity = capacity;
  }

  synchronized byte[] get(int index) {
    return chunks.get(index);
  }

  synchronized boolean contains(int index) {
    return chunks.containsKey(index);
  }

  synchronized void put(int index, byte[] data) {
    if (data.length > capacity) {
      return;
    }
    byte[] old = chunks.put(index, data);
    size += data.length - (old == null ? 0 : old.length);
    Iterator<Map.Entry<Integer, byte[]>> it = chunks.entrySet().iterator();
    while (size > capacity && it.hasNext()) {
      Map.Entry<Integer, byte[]> e = it.next();
      if (e.getKey() != index) {
        it.remove();
        size -= e.getValue().length;
      }
    }
  }

  synchronized void clear() {
    chunks.clear();
    size = 0;
  }
}
