package io.fastpull.blob;

import io.fastpull.blob.ChunkFetchException.Reason;
import io.fastpull.cache.ChunkCache;
import io.fastpull.format.ChunkCodec;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.FormatException;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ChunkReader}: memory, then cache, then one de-duplicated, merged, time-bounded fetch
 * from the source, scheduled by priority.
 *
 * <p>Each chunk being fetched has one {@link PendingChunk} in {@link #inflight} (keyed by chunk
 * index, inserted with {@code putIfAbsent}, removed when it completes either way), so concurrent
 * reads share one request and a failed fetch is retried by the next read.
 *
 * <p>Scheduling: a read that must wait runs its request at once, on its own; read-ahead and
 * prefetch requests wait in the {@link FetchQueue} (read-ahead first, then prefetch in the order
 * given) and at most {@link FetchOptions#maxInFlight()} of them run at a time; a read of a queued
 * chunk takes its request out of the queue and runs it at once. A background fill comes last,
 * uses at most {@link FetchOptions#fillInFlight()} requests, and only runs once no read of any
 * layer sharing the {@link FetchDemand} has waited for {@link FetchOptions#fillQuiet()}.
 */
final class ChunkFetcher implements ChunkReader {
  private static final Logger log = LoggerFactory.getLogger(ChunkFetcher.class);

  private final String layerId;
  private final ChunkSource source;
  private final ChunkCache cache;
  private final FetchOptions options;
  private final Executor executor;
  private final Clock clock;
  private final FetchDemand demand;
  private final MemoryChunks memory;
  private final AccessTrace trace = new AccessTrace(1 << 16);
  private final ConcurrentHashMap<Integer, PendingChunk> inflight = new ConcurrentHashMap<>();
  /** Chunks fetched ahead of any read and not read yet: their first read is a prefetch hit. */
  private final Set<Integer> ahead = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean cacheWriteWarned = new AtomicBoolean();
  private final LongAdder sourceRequests = new LongAdder();
  private final LongAdder sourceBytes = new LongAdder();
  private final LongAdder chunksFetched = new LongAdder();
  private final LongAdder memoryHits = new LongAdder();
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private final LongAdder prefetchHits = new LongAdder();
  private final LongAdder waits = new LongAdder();
  private final LongAdder waitNanos = new LongAdder();
  private final LongAdder backgroundBytes = new LongAdder();
  private final FetchQueue queue;

  ChunkFetcher(String layerId, ChunkSource source, ChunkCache cache, FetchOptions options,
      Executor executor, Clock clock, FetchDemand demand) {
    this.layerId = Objects.requireNonNull(layerId, "layerId");
    this.source = Objects.requireNonNull(source, "source");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.options = Objects.requireNonNull(options, "options");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.demand = Objects.requireNonNull(demand, "demand");
    this.memory = new MemoryChunks(options.memoryBytes());
    this.queue = new FetchQueue(options, demand);
  }

  @Override
  public String layerId() {
    return layerId;
  }

  @Override
  public byte[] read(ChunkInfo chunk) throws IOException {
    checkOpen();
    int index = chunk.index();
    trace.add(index);
    byte[] held = memory.get(index);
    if (held != null) {
      memoryHits.increment();
      countPrefetchHit(index);
      return held;
    }
    PendingChunk p = inflight.get(index);
    if (p == null) {
      Optional<byte[]> cached = cache.get(chunk);
      if (cached.isPresent()) {
        cacheHits.increment();
        countPrefetchHit(index);
        memory.put(index, cached.get());
        return cached.get();
      }
      p = start(List.of(chunk), FetchPriority.DEMAND).get(index);
      if (p == null) { // another fetch finished it just now
        held = memory.get(index);
        return held != null ? held : read(chunk);
      }
    }
    countPrefetchHit(index);
    if (p.future.isDone()) {
      return await(p);
    }
    promote(p);
    waits.increment();
    demand.begin();
    long t0 = System.nanoTime();
    try {
      return await(p);
    } finally {
      waitNanos.add(System.nanoTime() - t0);
      demand.end();
    }
  }

  private void countPrefetchHit(int index) {
    if (!ahead.isEmpty() && ahead.remove(index)) {
      prefetchHits.increment();
    }
  }

  /** Runs the queued request holding {@code p} now, because a read waits for it. */
  private void promote(PendingChunk p) {
    ChunkRequest r = p.request;
    // A null request means its run is being formed right now, by a thread that is between
    // registering the chunk and queueing the run: a matter of microseconds.
    for (int spins = 0; r == null && spins < 10_000; spins++) {
      Thread.yield();
      r = p.request;
    }
    if (r != null && queue.promote(r)) {
      launch(r);
    }
  }

  private byte[] await(PendingChunk p) throws ChunkFetchException {
    long timeout = options.readTimeout().toMillis();
    try {
      return p.future.get(timeout, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      ChunkRequest f = p.request;
      long age = f == null || f.startMillis == 0 ? timeout : clock.millis() - f.startMillis;
      ChunkFetchException te = new ChunkFetchException(Reason.TIMEOUT, "layer=" + layerId
          + " chunk=#" + p.chunk.index() + " " + p.chunk.digestString() + " source="
          + source.describe() + ": no answer after " + age + " ms", null);
      if (f != null) {
        abandon(f, te);
      } else {
        finish(p, null, te);
      }
      failures.increment();
      throw te;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      failures.increment();
      throw new ChunkFetchException(Reason.TIMEOUT, "layer=" + layerId + " chunk=#"
          + p.chunk.index() + ": interrupted while waiting", e);
    } catch (ExecutionException | CancellationException e) {
      failures.increment();
      Throwable c = e instanceof ExecutionException ? e.getCause() : e;
      if (c instanceof ChunkFetchException cfe) {
        throw new ChunkFetchException(cfe.reason(), cfe.getMessage(), cfe);
      }
      throw new ChunkFetchException(Reason.SOURCE, "layer=" + layerId + " chunk=#"
          + p.chunk.index() + " source=" + source.describe() + ": " + c, c);
    }
  }

  @Override
  public void prefetch(List<ChunkInfo> chunks) {
    if (!closed.get() && !chunks.isEmpty()) {
      start(chunks, FetchPriority.PREFETCH);
    }
  }

  @Override
  public void readAhead(List<ChunkInfo> chunks) {
    if (!closed.get() && !chunks.isEmpty()) {
      start(chunks, FetchPriority.READAHEAD);
    }
  }

  @Override
  public void fill(List<ChunkInfo> chunks) {
    if (closed.get()) {
      return;
    }
    queue.fill(chunks.isEmpty() ? null : new FillCursor(chunks, options.maxMergeBytes(),
        c -> !memory.contains(c.index()) && !inflight.containsKey(c.index())
            && !cache.contains(c),
        c -> {
          PendingChunk p = new PendingChunk(c);
          if (inflight.putIfAbsent(c.index(), p) != null) {
            return null;
          }
          ahead.add(c.index());
          return p;
        }), clock.millis());
    dispatch();
  }

  @Override
  public int[] trace() {
    return trace.snapshot();
  }

  @Override
  public void resetTrace() {
    trace.reset();
  }

  /**
   * Registers the chunks nobody is fetching yet and queues (or, for {@link FetchPriority#DEMAND},
   * runs) one request per merged run. Runs are merged within stretches of the list of about
   * one request's worth of bytes, sorted by offset there, so that list order is kept at that
   * grain while neighbours still share a request.
   *
   * @return the pending fetch of each chunk not held in memory, whoever started it
   */
  private Map<Integer, PendingChunk> start(List<ChunkInfo> chunks, FetchPriority priority) {
    Map<Integer, PendingChunk> all = new HashMap<>();
    List<PendingChunk> stretch = new ArrayList<>();
    long stretchBytes = 0;
    long stretchBound = options.maxMergeBytes();
    for (ChunkInfo c : chunks) {
      if (memory.contains(c.index())) {
        continue;
      }
      PendingChunk p = new PendingChunk(c);
      PendingChunk existing = inflight.putIfAbsent(c.index(), p);
      if (existing != null) {
        all.put(c.index(), existing);
        continue;
      }
      all.put(c.index(), p);
      if (priority != FetchPriority.DEMAND) {
        ahead.add(c.index());
      }
      if (!stretch.isEmpty() && stretchBytes + c.compressedSize() > stretchBound) {
        queueRuns(stretch, priority);
        stretch = new ArrayList<>();
        stretchBytes = 0;
      }
      stretch.add(p);
      stretchBytes += c.compressedSize();
    }
    queueRuns(stretch, priority);
    return all;
  }

  private void queueRuns(List<PendingChunk> mine, FetchPriority priority) {
    if (mine.isEmpty()) {
      return;
    }
    mine.sort(Comparator.comparingLong(p -> p.chunk.compressedOffset()));
    List<PendingChunk> run = new ArrayList<>();
    long runBytes = 0;
    List<ChunkRequest> made = new ArrayList<>();
    for (PendingChunk p : mine) {
      boolean adjacent = !run.isEmpty()
          && run.get(run.size() - 1).chunk.compressedEnd() == p.chunk.compressedOffset();
      if (!run.isEmpty() && (!adjacent
          || runBytes + p.chunk.compressedSize() > options.maxMergeBytes())) {
        made.add(queue.newRequest(run, priority));
        run = new ArrayList<>();
        runBytes = 0;
      }
      run.add(p);
      runBytes += p.chunk.compressedSize();
    }
    made.add(queue.newRequest(run, priority));
    if (priority == FetchPriority.DEMAND) {
      for (ChunkRequest r : made) {
        launch(r);
      }
    } else {
      queue.enqueue(made);
      dispatch();
    }
  }

  /** Starts what the queue allows now, and asks to be woken when a fill waits for quiet. */
  private void dispatch() {
    FetchQueue.Next next = queue.next();
    for (ChunkRequest r : next.start()) {
      launch(r);
    }
    if (next.wakeInMillis() >= 0) {
      scheduleWake(next.wakeInMillis());
    }
  }

  /** Looks at the fill again once reads may have gone quiet. */
  private void scheduleWake(long millis) {
    try {
      executor.execute(() -> {
        try {
          Thread.sleep(Math.max(10, millis));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } finally {
          queue.woke();
        }
        dispatch();
      });
    } catch (RejectedExecutionException e) {
      queue.woke();
    }
  }

  private void launch(ChunkRequest r) {
    FutureTask<Void> task = new FutureTask<>(() -> {
      try {
        runFetch(r);
      } finally {
        if (r.counted) {
          queue.done(r);
          dispatch();
        }
      }
      return null;
    });
    r.task = task;
    r.startMillis = clock.millis();
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      abandon(r, new ChunkFetchException(Reason.CLOSED, "layer=" + layerId
          + ": fetch executor rejected the request", e));
    }
  }

  /** Fails every chunk of {@code r} that is still pending and interrupts its request. */
  private void abandon(ChunkRequest r, ChunkFetchException e) {
    for (PendingChunk p : r.run) {
      finish(p, null, e);
    }
    FutureTask<Void> t = r.task;
    if (t != null) {
      t.cancel(true);
    }
  }

  /** Runs on the executor: serves what memory or cache now hold, fetches the rest in one go. */
  private void runFetch(ChunkRequest f) {
    List<PendingChunk> todo = new ArrayList<>();
    for (PendingChunk p : f.run) {
      if (p.future.isDone()) {
        continue;
      }
      byte[] held = memory.get(p.chunk.index());
      if (held == null) {
        try {
          Optional<byte[]> cached = cache.get(p.chunk);
          if (cached.isPresent()) {
            cacheHits.increment();
            held = cached.get();
          }
        } catch (IOException | RuntimeException e) {
          log.debug("chunk cache read failed layer={} chunk=#{}", layerId, p.chunk.index(), e);
        }
      }
      if (held != null) {
        if (f.priority != FetchPriority.FILL) {
          memory.put(p.chunk.index(), held);
        }
        finish(p, held, null);
      } else {
        todo.add(p);
      }
    }
    // Chunks served above may split the run; fetch each remaining adjacent stretch.
    int i = 0;
    while (i < todo.size()) {
      int j = i + 1;
      while (j < todo.size()
          && todo.get(j - 1).chunk.compressedEnd() == todo.get(j).chunk.compressedOffset()) {
        j++;
      }
      fetchStretch(f, todo.subList(i, j));
      i = j;
    }
  }

  private void fetchStretch(ChunkRequest f, List<PendingChunk> stretch) {
    ChunkInfo first = stretch.get(0).chunk;
    ChunkInfo last = stretch.get(stretch.size() - 1).chunk;
    long start = first.compressedOffset();
    int len = Math.toIntExact(last.compressedEnd() - start);
    byte[] stored = new byte[len];
    // Chunks are delivered as their bytes arrive, so the first reader of a long run does not
    // wait for the whole run; delivered counts how many of the stretch are done.
    int[] delivered = {0};
    IntConsumer arrived = n -> {
      while (delivered[0] < stretch.size()
          && stretch.get(delivered[0]).chunk.compressedEnd() - start <= n) {
        deliver(f, stretch.get(delivered[0]), stored, start);
        delivered[0]++;
      }
    };
    try {
      sourceRequests.increment();
      sourceBytes.add(len);
      source.read(start, stored, 0, len, arrived);
      arrived.accept(len);
      // Counted once every chunk of the stretch is delivered, so a reader that sees these bytes
      // counted finds their chunks ready (the tests' barrier for "prefetched before any read").
      if (f.priority.background()) {
        backgroundBytes.add(len);
      }
    } catch (IOException | RuntimeException e) {
      ChunkFetchException fe = new ChunkFetchException(
          Thread.currentThread().isInterrupted() ? Reason.TIMEOUT : Reason.SOURCE,
          "layer=" + layerId + " chunks=#" + first.index() + "..#" + last.index() + " bytes="
              + start + "+" + len + " source=" + source.describe() + ": " + e, e);
      for (PendingChunk p : stretch.subList(delivered[0], stretch.size())) {
        finish(p, null, fe);
      }
    }
  }

  /** Decodes and verifies one chunk of a fetched stretch, keeps it and completes its reads. */
  private void deliver(ChunkRequest f, PendingChunk p, byte[] stored, long start) {
    byte[] data;
    try {
      data = ChunkCodec.decode(p.chunk, stored, (int) (p.chunk.compressedOffset() - start));
    } catch (FormatException e) {
      finish(p, null, new ChunkFetchException(Reason.CORRUPT, "layer=" + layerId + " chunk=#"
          + p.chunk.index() + " " + p.chunk.digestString() + " source=" + source.describe()
          + ": " + e.getMessage(), e));
      return;
    }
    chunksFetched.increment();
    if (f.priority != FetchPriority.FILL) {
      memory.put(p.chunk.index(), data);
    }
    // Cached before completion: once a read returns, a reader on another mount of the same
    // content finds the chunk in the cache (a write costs little next to the fetch).
    putInCache(p.chunk, data);
    finish(p, data, null);
  }

  private void putInCache(ChunkInfo chunk, byte[] data) {
    try {
      cache.put(chunk, data);
    } catch (IOException | RuntimeException ex) {
      if (cacheWriteWarned.compareAndSet(false, true)) {
        log.warn("chunk cache write failed (reads continue uncached; further failures at "
            + "DEBUG) layer={} chunk=#{}", layerId, chunk.index(), ex);
      } else {
        log.debug("chunk cache write failed layer={}", layerId, ex);
      }
    }
  }

  /**
   * Retires one pending chunk from the map, then completes it (first completion wins). In that
   * order, so a reader woken by a failure that retries at once starts a fresh fetch.
   */
  private void finish(PendingChunk p, byte[] data, ChunkFetchException error) {
    inflight.remove(p.chunk.index(), p);
    if (error == null) {
      p.future.complete(data);
    } else {
      ahead.remove(p.chunk.index());
      p.future.completeExceptionally(error);
    }
  }

  @Override
  public FetchStats stats() {
    return new FetchStats(sourceRequests.sum(), sourceBytes.sum(), chunksFetched.sum(),
        memoryHits.sum(), cacheHits.sum(), failures.sum(), prefetchHits.sum(), waits.sum(),
        waitNanos.sum(), backgroundBytes.sum());
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("chunk reader for layer " + layerId + " is closed");
    }
  }

  @Override
  public void close() throws IOException {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    queue.close();
    ChunkFetchException e = new ChunkFetchException(Reason.CLOSED, "layer=" + layerId
        + ": chunk reader closed", null);
    for (PendingChunk p : List.copyOf(inflight.values())) {
      ChunkRequest f = p.request;
      if (f != null) {
        abandon(f, e);
      } else {
        finish(p, null, e);
      }
    }
    memory.clear();
    source.close();
  }
}
