package io.fastpull.blob;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.cache.FakeChunkCache;
import io.fastpull.format.ChunkInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Priorities, in-flight bounds, access traces and background fill of the chunk reader. */
class FetchSchedulingTest extends OneFileBlobFixture {
  /** One chunk per request, so that request order shows scheduling order. */
  FetchOptions oneChunkRequests(int inFlight) {
    return FetchOptions.defaults().withMaxMergeBytes(1).withInFlight(inFlight, 0);
  }

  static void awaitRequests(CountingSource src, int n) throws InterruptedException {
    for (int i = 0; i < 1000 && src.requests().size() < n; i++) {
      Thread.sleep(5);
    }
  }

  @Test
  void aReadOfAQueuedChunkGoesAheadOfThePrefetchQueue() throws Exception {
    CountingSource src = source();
    src.stall();
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20), oneChunkRequests(1),
        new FetchDemand(Clock.systemUTC()));
    r.prefetch(chunks(0, 40));
    awaitRequests(src, 1);
    awaitIdle(src);
    assertEquals(1, src.requests().size(), "one request in flight at a time: " + src.requests());
    Future<byte[]> read = pool.submit(() -> r.read(chunk(30)));
    awaitRequests(src, 2);
    assertEquals(chunk(30).compressedOffset(), src.requests().get(1).offset(),
        "the read's chunk is requested next, not after the 29 queued before it");
    src.recover();
    assertArrayEquals(expected(30), read.get());
    for (int k = 0; k < 40; k++) {
      assertArrayEquals(expected(k), r.read(chunk(k)));
    }
    assertEquals(40, src.requests().size());
    FetchStats s = r.stats();
    assertEquals(40, s.prefetchHits(), s.toString());
    assertTrue(s.onDemandWaits() >= 1, s.toString());
  }

  @Test
  void readAheadIsServedBeforeQueuedPrefetch() throws Exception {
    CountingSource src = source();
    src.stall();
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20), oneChunkRequests(1),
        new FetchDemand(Clock.systemUTC()));
    r.prefetch(chunks(0, 10));
    awaitRequests(src, 1);
    r.readAhead(chunks(50, 52));
    src.recover();
    awaitRequests(src, 12);
    List<CountingSource.Request> q = src.requests();
    assertEquals(chunk(50).compressedOffset(), q.get(1).offset(), q.toString());
    assertEquals(chunk(51).compressedOffset(), q.get(2).offset(), q.toString());
  }

  @Test
  void requestsInFlightStayWithinTheBound() throws Exception {
    CountingSource src = source();
    src.stall();
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20), oneChunkRequests(3),
        new FetchDemand(Clock.systemUTC()));
    r.prefetch(chunks(0, 20));
    awaitRequests(src, 3);
    awaitIdle(src);
    assertEquals(3, src.requests().size());
    src.recover();
    awaitRequests(src, 20);
    assertEquals(20, src.requests().size());
  }

  @Test
  void theTraceListsFirstReadsInOrderAndNotPrefetch() throws Exception {
    CountingSource src = source();
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20), FetchOptions.defaults(),
        new FetchDemand(Clock.systemUTC()));
    r.prefetch(chunks(40, 50));
    for (int k : new int[] {5, 3, 5, 9, 3, 0}) {
      r.read(chunk(k));
    }
    assertArrayEquals(new int[] {chunk(5).index(), chunk(3).index(), chunk(9).index(),
        chunk(0).index()}, r.trace());
    r.resetTrace();
    assertEquals(0, r.trace().length);
    r.read(chunk(9));
    assertArrayEquals(new int[] {chunk(9).index()}, r.trace());
  }

  @Test
  void aFillFetchesWhatIsNotCachedInLargeRequests() throws Exception {
    FakeChunkCache cache = new FakeChunkCache(1 << 20);
    CountingSource src = source();
    ChunkReader r = reader(src, cache, FetchOptions.defaults().withFillQuiet(Duration.ZERO),
        new FetchDemand(Clock.systemUTC()));
    r.read(chunk(10));
    src.reset();
    r.fill(chunks(0, CHUNKS));
    for (int i = 0; i < 1000 && cache.stats().entries() < CHUNKS; i++) {
      Thread.sleep(5);
    }
    assertEquals(CHUNKS, cache.stats().entries());
    assertEquals(2, src.requests().size(), "the chunks before and after the cached one: "
        + src.requests());
    long stored = 0;
    for (ChunkInfo c : chunks(0, CHUNKS)) {
      stored += c.compressedSize();
    }
    assertEquals(stored - chunk(10).compressedSize(), r.stats().backgroundBytes());
  }

  @Test
  void aFillWaitsWhileAnyReaderSharingTheDemandWaits() throws Exception {
    FetchDemand demand = new FetchDemand(Clock.systemUTC());
    CountingSource busy = source();
    busy.stall();
    ChunkReader other = reader(busy, new FakeChunkCache(1 << 20), FetchOptions.defaults(),
        demand);
    Future<byte[]> waiting = pool.submit(() -> other.read(chunk(1)));
    awaitRequests(busy, 1);
    for (int i = 0; i < 200 && demand.waiting() == 0; i++) {
      Thread.sleep(5);
    }
    assertEquals(1, demand.waiting());

    CountingSource src = source();
    FakeChunkCache cache = new FakeChunkCache(1 << 20);
    ChunkReader r = reader(src, cache,
        FetchOptions.defaults().withFillQuiet(Duration.ofMillis(50)), demand);
    int before = fetchTasks.finished();
    r.fill(chunks(0, CHUNKS));
    // While a read waits the fill checks again every fillQuiet, on a task of the fetch pool:
    // only that task can finish here (the waiting read's request is stalled), so three finished
    // tasks are three looks at the queue that started nothing.
    for (int i = 0; i < 2000 && fetchTasks.finished() < before + 3; i++) {
      Thread.sleep(5);
    }
    assertTrue(fetchTasks.finished() >= before + 3, "the fill looked at the queue again");
    assertEquals(0, src.requests().size(), "no fill while another layer's read waits");
    busy.recover();
    waiting.get();
    awaitRequests(src, 1);
    for (int i = 0; i < 1000 && cache.stats().entries() < CHUNKS; i++) {
      Thread.sleep(5);
    }
    assertEquals(CHUNKS, cache.stats().entries(), "the fill ran once reads went quiet");
  }

  @Test
  void theFirstChunksOfALongRequestAreServedBeforeTheRestArrives() throws Exception {
    ChunkSource file = ChunkSource.file(blobFile);
    java.util.concurrent.CountDownLatch rest = new java.util.concurrent.CountDownLatch(1);
    ChunkSource halfThenStall = new ChunkSource() {
      @Override
      public void read(long offset, byte[] dst, int dstOff, int len) throws java.io.IOException {
        file.read(offset, dst, dstOff, len);
      }

      @Override
      public void read(long offset, byte[] dst, int dstOff, int len,
          java.util.function.IntConsumer arrived) throws java.io.IOException {
        file.read(offset, dst, dstOff, len);
        arrived.accept(len / 2);
        try {
          rest.await();
        } catch (InterruptedException e) {
          throw new java.io.InterruptedIOException();
        }
        arrived.accept(len);
      }

      @Override
      public long size() throws java.io.IOException {
        return file.size();
      }

      @Override
      public String describe() {
        return "half-then-stall";
      }
    };
    FetchDemand demand = new FetchDemand(Clock.systemUTC());
    ChunkReader r = reader(halfThenStall, new FakeChunkCache(1 << 20), FetchOptions.defaults(),
        demand);
    r.readAhead(chunks(0, 20));
    assertArrayEquals(expected(0), pool.submit(() -> r.read(chunk(0)))
        .get(10, java.util.concurrent.TimeUnit.SECONDS), "served from the first half");
    Future<byte[]> late = pool.submit(() -> r.read(chunk(19)));
    // Wait until the read either returned or waits for the source (it is then blocked until
    // the rest arrives, which the test holds back): no timing decides the outcome.
    for (int i = 0; i < 2000 && !late.isDone() && demand.waiting() == 0; i++) {
      Thread.sleep(5);
    }
    assertEquals(1, demand.waiting(), "the read of the last chunk waits for the source");
    assertTrue(!late.isDone(), "the last chunk waits for its bytes");
    rest.countDown();
    assertArrayEquals(expected(19), late.get());
    assertEquals(1, r.stats().sourceRequests());
    file.close();
  }

  @Test
  void closingStopsAFill() throws Exception {
    CountingSource src = source();
    src.stall();
    ChunkReader r = reader(src, new FakeChunkCache(1 << 20),
        oneChunkRequests(2).withInFlight(2, 2).withFillQuiet(Duration.ZERO),
        new FetchDemand(Clock.systemUTC()));
    r.fill(chunks(0, CHUNKS));
    awaitRequests(src, 2);
    r.close();
    awaitIdle(src);
    assertEquals(2, src.requests().size());
  }
}
