package io.fastpull.blob;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Chunk indexes in the order of their first access, each once, up to a bound. Adding a chunk
 * already seen costs one bit test under the lock; the common case after startup (everything
 * seen, or the bound reached) is a read of one volatile field.
 *
 * <p>Thread-safe.
 */
final class AccessTrace {
  private final int limit;
  private final BitSet seen = new BitSet();
  private int[] order = new int[64];
  private int size;
  private volatile boolean full;

  AccessTrace(int limit) {
    this.limit = limit;
  }

  void add(int index) {
    if (full) {
      return;
    }
    synchronized (this) {
      if (size >= limit || seen.get(index)) {
        return;
      }
      seen.set(index);
      if (size == order.length) {
        order = Arrays.copyOf(order, Math.min(limit, size * 2));
      }
      order[size++] = index;
      full = size >= limit;
    }
  }

  synchronized int[] snapshot() {
    return Arrays.copyOf(order, size);
  }

  synchronized void reset() {
    seen.clear();
    order = new int[64];
    size = 0;
    full = false;
  }
}
