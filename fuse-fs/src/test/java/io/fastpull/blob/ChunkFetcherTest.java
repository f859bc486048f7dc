package io.fastpull.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.blob.ChunkFetchException.Reason;
import io.fastpull.cache.FakeChunkCache;
import io.fastpull.format.ChunkInfo;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ChunkFetcherTest extends OneFileBlobFixture {
  @Test
  void concurrentReadsOfOneChunkMakeOneRequest() throws Exception {
    CountingSource src = source();
    src.stall(); // hold the first request so every reader joins it
    FetchDemand demand = new FetchDemand(Clock.systemUTC());
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20), FetchOptions.defaults(), demand);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<byte[]>> fs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      fs.add(pool.submit(() -> {
        go.await();
        return r.read(chunk(5));
      }));
    }
    go.countDown();
    // Every reader waits on the source once it has joined a request (the first one, stalled).
    for (int i = 0; i < 2000 && demand.waiting() < 8; i++) {
      Thread.sleep(5);
    }
    assertEquals(8, demand.waiting(), "all eight reads wait");
    src.recover();
    for (Future<byte[]> f : fs) {
      assertArrayEquals(expected(5), f.get());
    }
    assertEquals(1, src.requests().size());
    assertArrayEquals(expected(5), r.read(chunk(5)));
    assertEquals(1, src.requests().size());
  }

  @Test
  void adjacentChunksAreMergedUpToTheBound() throws Exception {
    CountingSource src = source();
    int bound = 10 * (chunk(0).compressedSize() + 1);
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20),
        FetchOptions.defaults().withMaxMergeBytes(bound));
    List<ChunkInfo> want = new ArrayList<>();
    long stored = 0;
    for (int k = 0; k < 30; k++) {
      want.add(chunk(k));
      stored += chunk(k).compressedSize();
    }
    r.prefetch(want);
    for (int k = 0; k < 30; k++) {
      assertArrayEquals(expected(k), r.read(chunk(k)));
    }
    assertEquals(3, src.requests().size(), src.requests().toString());
    assertEquals(stored, src.bytes());
    for (CountingSource.Request q : src.requests()) {
      assertTrue(q.length() <= bound);
    }
  }

  @Test
  void aCorruptChunkFailsAloneAndIsNeverServed() throws Exception {
    byte[] bad = blob.clone();
    ChunkInfo victim = chunk(3);
    bad[(int) victim.compressedOffset() + 10] ^= 0x40;
    Files.write(blobFile, bad);
    CountingSource src = source();
    FakeChunkCache cache = new FakeChunkCache(1 << 20);
    ChunkReader r = reader(src, cache, FetchOptions.defaults());
    r.prefetch(List.of(chunk(2), chunk(3), chunk(4)));
    ChunkFetchException e = assertThrows(ChunkFetchException.class, () -> r.read(victim));
    assertEquals(Reason.CORRUPT, e.reason());
    assertTrue(e.getMessage().contains("sha256:test") && e.getMessage().contains("#3"),
        e.getMessage());
    assertArrayEquals(expected(2), r.read(chunk(2)));
    assertArrayEquals(expected(4), r.read(chunk(4)));
    assertTrue(!cache.contains(victim));
    assertThrows(ChunkFetchException.class, () -> r.read(victim)); // retried, fails again
  }

  @Test
  void aStalledSourceTimesOutAndRecovers() throws Exception {
    CountingSource src = source();
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20),
        FetchOptions.defaults().withReadTimeout(Duration.ofMillis(500)));
    assertArrayEquals(expected(0), r.read(chunk(0)));
    src.stall();
    long t0 = System.nanoTime();
    ChunkFetchException e = assertThrows(ChunkFetchException.class, () -> r.read(chunk(1)));
    assertEquals(Reason.TIMEOUT, e.reason());
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(10).toNanos());
    assertArrayEquals(expected(0), r.read(chunk(0)), "held chunks keep working");
    src.recover();
    assertArrayEquals(expected(1), r.read(chunk(1)));
  }

  @Test
  void aSourceOutageIsAnErrorAndRetriedLater() throws Exception {
    CountingSource src = source();
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20), FetchOptions.defaults());
    src.goDown();
    assertEquals(Reason.SOURCE,
        assertThrows(ChunkFetchException.class, () -> r.read(chunk(7))).reason());
    src.recover();
    assertArrayEquals(expected(7), r.read(chunk(7)));
  }

  @Test
  void cachedChunksNeedNoSourceRequest() throws Exception {
    FakeChunkCache cache = new FakeChunkCache(1 << 20);
    CountingSource first = source();
    ChunkReader r1 = reader(first, cache, FetchOptions.defaults());
    for (int k = 0; k < 8; k++) {
      r1.read(chunk(k));
    }
    CountingSource second = source();
    ChunkReader r2 = reader(second, cache, FetchOptions.defaults());
    for (int k = 0; k < 8; k++) {
      assertArrayEquals(expected(k), r2.read(chunk(k)));
    }
    assertEquals(0, second.requests().size());
    assertEquals(8, r2.stats().cacheHits());
  }

  @Test
  void closeFailsFastAfterwards() throws Exception {
    ChunkReader r = reader(source(), new FakeChunkCache(1 << 20), FetchOptions.defaults());
    r.close();
    r.close();
    assertThrows(IllegalStateException.class, () -> r.read(chunk(0)));
  }
}
