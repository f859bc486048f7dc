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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ChunkReader}: memory, then cache, then one de-duplicated, merged, time-bounded fetch
 * from the source.
 *
 * <p>Each chunk being fetched has one {@link Pending} in {@link #inflight} (keyed by chunk index,
 * inserted with {@code putIfAbsent}, removed when it completes either way), so concurrent reads
 * share one request and a failed fetch is retried by the next read.
 */
final class ChunkFetcher implements ChunkReader {
  private static final Logger log = LoggerFactory.getLogger(ChunkFetcher.class);

  private final String layerId;
  private final ChunkSource source;
  private final ChunkCache cache;
  private final FetchOptions options;
  private final Executor executor;
  private final Clock clock;
  private final MemoryChunks memory;
  private final ConcurrentHashMap<Integer, Pending> inflight = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicBoolean cacheWriteWarned = new AtomicBoolean();
  private final LongAdder sourceRequests = new LongAdder();
  private final LongAdder sourceBytes = new LongAdder();
  private final LongAdder chunksFetched = new LongAdder();
  private final LongAdder memoryHits = new LongAdder();
  private final LongAdder cacheHits = new LongAdder();
  private final LongAdder failures = new LongAdder();

  /** One chunk being fetched; {@code fetch} is set once its run is formed. */
  private static final class Pending {
    final ChunkInfo chunk;
    final CompletableFuture<byte[]> future = new CompletableFuture<>();
    volatile Fetch fetch;

    Pending(ChunkInfo chunk) {
      this.chunk = chunk;
    }
  }

  /** One source request for a run of adjacent chunks, and the task performing it. */
  private final class Fetch {
    final List<Pending> run;
    final long startMillis = clock.millis();
    volatile FutureTask<Void> task;

    Fetch(List<Pending> run) {
      this.run = run;
    }

    /** Fails every chunk of this run that is still pending and interrupts the request. */
    void abandon(ChunkFetchException e) {
      for (Pending p : run) {
        finish(p, null, e);
      }
      FutureTask<Void> t = task;
      if (t != null) {
        t.cancel(true);
      }
    }
  }

  ChunkFetcher(String layerId, ChunkSource source, ChunkCache cache, FetchOptions options,
      Executor executor, Clock clock) {
    this.layerId = Objects.requireNonNull(layerId, "layerId");
    this.source = Objects.requireNonNull(source, "source");
    this.cache = Objects.requireNonNull(cache, "cache");
    this.options = Objects.requireNonNull(options, "options");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.memory = new MemoryChunks(options.memoryBytes());
  }

  @Override
  public String layerId() {
    return layerId;
  }

  @Override
  public byte[] read(ChunkInfo chunk) throws IOException {
    checkOpen();
    byte[] held = memory.get(chunk.index());
    if (held != null) {
      memoryHits.increment();
      return held;
    }
    Pending p = inflight.get(chunk.index());
    if (p == null) {
      Optional<byte[]> cached = cache.get(chunk);
      if (cached.isPresent()) {
        cacheHits.increment();
        memory.put(chunk.index(), cached.get());
        return cached.get();
      }
      p = start(List.of(chunk)).get(chunk.index());
      if (p == null) { // another fetch finished it just now
        held = memory.get(chunk.index());
        return held != null ? held : read(chunk);
      }
    }
    return await(p);
  }

  private byte[] await(Pending p) throws ChunkFetchException {
    long timeout = options.readTimeout().toMillis();
    try {
      return p.future.get(timeout, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      Fetch f = p.fetch;
      long age = f == null ? timeout : clock.millis() - f.startMillis;
      ChunkFetchException te = new ChunkFetchException(Reason.TIMEOUT, "layer=" + layerId
          + " chunk=#" + p.chunk.index() + " " + p.chunk.digestString() + " source="
          + source.describe() + ": no answer after " + age + " ms", null);
      if (f != null) {
        f.abandon(te);
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
      start(chunks);
    }
  }

  /**
   * Registers the chunks nobody is fetching yet and submits one task per merged run.
   *
   * @return the pending fetch of each chunk not held in memory, whoever started it
   */
  private Map<Integer, Pending> start(List<ChunkInfo> chunks) {
    Map<Integer, Pending> all = new java.util.HashMap<>();
    List<Pending> mine = new ArrayList<>();
    for (ChunkInfo c : chunks) {
      if (memory.contains(c.index())) {
        continue;
      }
      Pending p = new Pending(c);
      Pending existing = inflight.putIfAbsent(c.index(), p);
      if (existing == null) {
        mine.add(p);
        all.put(c.index(), p);
      } else {
        all.put(c.index(), existing);
      }
    }
    if (mine.isEmpty()) {
      return all;
    }
    mine.sort(Comparator.comparingLong(p -> p.chunk.compressedOffset()));
    List<Pending> run = new ArrayList<>();
    long runBytes = 0;
    for (Pending p : mine) {
      boolean adjacent = !run.isEmpty()
          && run.get(run.size() - 1).chunk.compressedEnd() == p.chunk.compressedOffset();
      if (!run.isEmpty() && (!adjacent
          || runBytes + p.chunk.compressedSize() > options.maxMergeBytes())) {
        submit(run);
        run = new ArrayList<>();
        runBytes = 0;
      }
      run.add(p);
      runBytes += p.chunk.compressedSize();
    }
    submit(run);
    return all;
  }

  private void submit(List<Pending> run) {
    Fetch f = new Fetch(run);
    for (Pending p : run) {
      p.fetch = f;
    }
    FutureTask<Void> task = new FutureTask<>(() -> {
      runFetch(f);
      return null;
    });
    f.task = task;
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      f.abandon(new ChunkFetchException(Reason.CLOSED, "layer=" + layerId
          + ": fetch executor rejected the request", e));
    }
  }

  /** Runs on the executor: serves what memory or cache now hold, fetches the rest in one go. */
  private void runFetch(Fetch f) {
    List<Pending> todo = new ArrayList<>();
    for (Pending p : f.run) {
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
        memory.put(p.chunk.index(), held);
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
      fetchStretch(todo.subList(i, j));
      i = j;
    }
  }

  private void fetchStretch(List<Pending> stretch) {
    ChunkInfo first = stretch.get(0).chunk;
    ChunkInfo last = stretch.get(stretch.size() - 1).chunk;
    long start = first.compressedOffset();
    int len = Math.toIntExact(last.compressedEnd() - start);
    byte[] stored = new byte[len];
    try {
      sourceRequests.increment();
      sourceBytes.add(len);
      source.read(start, stored, 0, len);
    } catch (IOException | RuntimeException e) {
      ChunkFetchException fe = new ChunkFetchException(
          Thread.currentThread().isInterrupted() ? Reason.TIMEOUT : Reason.SOURCE,
          "layer=" + layerId + " chunks=#" + first.index() + "..#" + last.index() + " bytes="
              + start + "+" + len + " source=" + source.describe() + ": " + e, e);
      for (Pending p : stretch) {
        finish(p, null, fe);
      }
      return;
    }
    Map<Pending, byte[]> decoded = new LinkedHashMap<>();
    for (Pending p : stretch) {
      try {
        byte[] data = ChunkCodec.decode(p.chunk, stored,
            (int) (p.chunk.compressedOffset() - start));
        chunksFetched.increment();
        memory.put(p.chunk.index(), data);
        decoded.put(p, data);
        finish(p, data, null);
      } catch (FormatException e) {
        finish(p, null, new ChunkFetchException(Reason.CORRUPT, "layer=" + layerId + " chunk=#"
            + p.chunk.index() + " " + p.chunk.digestString() + " source=" + source.describe()
            + ": " + e.getMessage(), e));
      }
    }
    for (Map.Entry<Pending, byte[]> e : decoded.entrySet()) {
      try {
        cache.put(e.getKey().chunk, e.getValue());
      } catch (IOException | RuntimeException ex) {
        if (cacheWriteWarned.compareAndSet(false, true)) {
          log.warn("chunk cache write failed (reads continue uncached; further failures at "
              + "DEBUG) layer={} chunk=#{}", layerId, e.getKey().chunk.index(), ex);
        } else {
          log.debug("chunk cache write failed layer={}", layerId, ex);
        }
      }
    }
  }

  /**
   * Retires one pending chunk from the map, then completes it (first completion wins). In that
   * order, so a reader woken by a failure that retries at once starts a fresh fetch.
   */
  private void finish(Pending p, byte[] data, ChunkFetchException error) {
    inflight.remove(p.chunk.index(), p);
    if (error == null) {
      p.future.complete(data);
    } else {
      p.future.completeExceptionally(error);
    }
  }

  @Override
  public FetchStats stats() {
    return new FetchStats(sourceRequests.sum(), sourceBytes.sum(), chunksFetched.sum(),
        memoryHits.sum(), cacheHits.sum(), failures.sum());
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
    ChunkFetchException e = new ChunkFetchException(Reason.CLOSED, "layer=" + layerId
        + ": chunk reader closed", null);
    for (Pending p : List.copyOf(inflight.values())) {
      Fetch f = p.fetch;
      if (f != null) {
        f.abandon(e);
      } else {
        finish(p, null, e);
      }
    }
    memory.clear();
    source.close();
  }
}
