package io.fastpull.cache;

import static io.fastpull.cache.TestChunks.bytes;
import static io.fastpull.cache.TestChunks.chunk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.ChunkInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What every {@link ChunkCache} must do; run against each implementation. */
abstract class ChunkCacheContract {
  static final int CHUNK = 4096;

  private final List<ChunkCache> opened = new ArrayList<>();

  /** A new, empty cache bounded at {@code capacity} bytes. */
  abstract ChunkCache create(long capacity) throws Exception;

  /** Alters the stored bytes of {@code chunk}, as a disk error would. */
  abstract void damage(ChunkCache cache, ChunkInfo chunk) throws Exception;

  ChunkCache open(long capacity) throws Exception {
    ChunkCache c = create(capacity);
    opened.add(c);
    return c;
  }

  @AfterEach
  void closeAll() throws Exception {
    for (ChunkCache c : opened) {
      c.close();
    }
  }

  @Test
  void missThenHit() throws Exception {
    ChunkCache cache = open(1 << 20);
    byte[] d = bytes(CHUNK, 1);
    ChunkInfo c = chunk(0, d);
    assertTrue(cache.get(c).isEmpty());
    cache.put(c, d);
    assertTrue(cache.contains(c));
    assertArrayEquals(d, cache.get(c).orElseThrow());
    CacheStats s = cache.stats();
    assertEquals(1, s.hits());
    assertEquals(1, s.misses());
    assertEquals(CHUNK, s.sizeBytes());
    assertEquals(1, s.entries());
    assertEquals(CHUNK, s.bytesWritten());
  }

  @Test
  void sameContentOfOtherChunksIsStoredOnce() throws Exception {
    ChunkCache cache = open(1 << 20);
    byte[] d = bytes(CHUNK, 2);
    cache.put(chunk(0, d), d);
    cache.put(chunk(7, d), d);
    assertEquals(1, cache.stats().entries());
    assertArrayEquals(d, cache.get(chunk(3, d)).orElseThrow());
  }

  @Test
  void wrongLengthIsRejected() throws Exception {
    ChunkCache cache = open(1 << 20);
    byte[] d = bytes(CHUNK, 3);
    assertThrows(IllegalArgumentException.class, () -> cache.put(chunk(0, d), new byte[10]));
  }

  @Test
  void damagedEntryIsDroppedNotServed() throws Exception {
    ChunkCache cache = open(1 << 20);
    byte[] d = bytes(CHUNK, 4);
    ChunkInfo c = chunk(0, d);
    cache.put(c, d);
    damage(cache, c);
    assertTrue(cache.get(c).isEmpty());
    assertFalse(cache.contains(c));
    assertEquals(1, cache.stats().corrupt());
    cache.put(c, d);
    assertArrayEquals(d, cache.get(c).orElseThrow());
  }

  @Test
  void capacityIsNeverExceededByMoreThanOneChunk() throws Exception {
    long cap = 10L * CHUNK + 100;
    ChunkCache cache = open(cap);
    for (int i = 0; i < 50; i++) {
      byte[] d = bytes(CHUNK, 100 + i);
      cache.put(chunk(i, d), d);
      assertTrue(cache.stats().sizeBytes() <= cap, "size " + cache.stats().sizeBytes());
    }
    CacheStats s = cache.stats();
    assertEquals(10, s.entries());
    assertEquals(40, s.evictions());
    assertEquals(40L * CHUNK, s.bytesEvicted());
  }

  @Test
  void evictsLeastRecentlyUsed() throws Exception {
    ChunkCache cache = open(3L * CHUNK);
    List<ChunkInfo> cs = new ArrayList<>();
    List<byte[]> ds = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      ds.add(bytes(CHUNK, 200 + i));
      cs.add(chunk(i, ds.get(i)));
    }
    cache.put(cs.get(0), ds.get(0));
    cache.put(cs.get(1), ds.get(1));
    cache.put(cs.get(2), ds.get(2));
    cache.get(cs.get(0)).orElseThrow();
    cache.put(cs.get(3), ds.get(3));
    assertTrue(cache.contains(cs.get(0)));
    assertFalse(cache.contains(cs.get(1)));
    assertTrue(cache.contains(cs.get(2)));
    assertTrue(cache.contains(cs.get(3)));
  }

  @Test
  void pinnedEntriesAreNeverEvicted() throws Exception {
    ChunkCache cache = open(2L * CHUNK);
    byte[] a = bytes(CHUNK, 300);
    ChunkInfo ca = chunk(0, a);
    byte[] later = bytes(CHUNK, 301);
    ChunkInfo cl = chunk(1, later);
    ChunkCache.Pin pa = cache.pin(ca);
    ChunkCache.Pin pl = cache.pin(cl); // pinned before it is stored
    cache.put(ca, a);
    cache.put(cl, later);
    for (int i = 0; i < 20; i++) {
      byte[] d = bytes(CHUNK, 400 + i);
      cache.put(chunk(10 + i, d), d);
      assertTrue(cache.contains(ca));
      assertTrue(cache.contains(cl));
      assertTrue(cache.stats().sizeBytes() <= 3L * CHUNK);
    }
    assertArrayEquals(a, cache.get(ca).orElseThrow());
    pa.close();
    pa.close(); // idempotent
    pl.close();
    byte[] d = bytes(CHUNK, 999);
    cache.put(chunk(99, d), d);
    assertFalse(cache.contains(cl), "unpinned, the eldest entry is evictable again");
    assertTrue(cache.stats().sizeBytes() <= 2L * CHUNK);
  }

  @Test
  void concurrentUseKeepsBytesRight() throws Exception {
    ChunkCache cache = open(20L * CHUNK);
    List<byte[]> ds = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ds.add(bytes(CHUNK, 500 + i));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int seed = t;
        fs.add(pool.submit(() -> {
          for (int k = 0; k < 400; k++) {
            int i = (k * 7 + seed) % ds.size();
            ChunkInfo c = chunk(i, ds.get(i));
            var got = cache.get(c);
            if (got.isPresent()) {
              assertArrayEquals(ds.get(i), got.get());
            } else {
              cache.put(c, ds.get(i));
            }
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(cache.stats().sizeBytes() <= 21L * CHUNK);
  }

  @Test
  void closeIsIdempotentAndUseAfterCloseFails() throws Exception {
    ChunkCache cache = create(1 << 20);
    cache.close();
    cache.close();
    byte[] d = bytes(CHUNK, 5);
    assertThrows(IllegalStateException.class, () -> cache.get(chunk(0, d)));
    assertThrows(IllegalStateException.class, () -> cache.put(chunk(0, d), d));
  }
}
