package io.fastpull.blob;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The scheduling state of one {@link ChunkFetcher}: requests waiting by priority, how many run,
 * and the background fill. It decides what may start; the fetcher starts it. Read-ahead and
 * prefetch requests run at most {@link FetchOptions#maxInFlight()} at a time; a fill runs only
 * when nothing else is queued, on at most {@link FetchOptions#fillInFlight()} of those, and only
 * once the shared {@link FetchDemand} has been quiet for {@link FetchOptions#fillQuiet()}.
 *
 * <p>Thread-safe (one monitor).
 */
final class FetchQueue {
  /** What may start now, and when to look again (-1: no need) because a fill is held back. */
  record Next(List<ChunkRequest> start, long wakeInMillis) {}

  private final FetchOptions options;
  private final FetchDemand demand;
  private final PriorityQueue<ChunkRequest> queued = new PriorityQueue<>(
      Comparator.<ChunkRequest>comparingInt(r -> r.priority.ordinal())
          .thenComparingLong(r -> r.seq));
  private long nextSeq;
  private int running;
  private int fillRunning;
  private FillCursor fill;
  private long fillSince;
  private boolean wakeScheduled;
  private boolean closed;

  FetchQueue(FetchOptions options, FetchDemand demand) {
    this.options = options;
    this.demand = demand;
  }

  /** A request for {@code run}, linked from each of its chunks; not queued yet. */
  synchronized ChunkRequest newRequest(List<PendingChunk> run, FetchPriority priority) {
    ChunkRequest r = new ChunkRequest(run, priority, nextSeq++);
    for (PendingChunk p : run) {
      p.request = r;
    }
    return r;
  }

  synchronized void enqueue(List<ChunkRequest> requests) {
    if (!closed) {
      queued.addAll(requests);
    }
  }

  /**
   * Takes {@code r} out of the queue for a read that waits for it.
   *
   * @return whether the caller should launch it now (false: it runs or ran already)
   */
  synchronized boolean promote(ChunkRequest r) {
    if (r.priority != FetchPriority.DEMAND && queued.remove(r)) {
      r.priority = FetchPriority.DEMAND;
      return true;
    }
    return false;
  }

  /** Replaces any unfinished fill. */
  synchronized void fill(FillCursor cursor, long nowMillis) {
    if (!closed) {
      fill = cursor;
      fillSince = nowMillis;
    }
  }

  /** Takes what the bounds allow to start now; each is counted as running until {@link #done}. */
  synchronized Next next() {
    List<ChunkRequest> start = new ArrayList<>();
    if (closed) {
      return new Next(start, -1);
    }
    while (running < options.maxInFlight() && !queued.isEmpty()) {
      ChunkRequest r = queued.poll();
      r.counted = true;
      running++;
      start.add(r);
    }
    long wakeIn = -1;
    while (fill != null && queued.isEmpty() && running < options.maxInFlight()
        && fillRunning < options.fillInFlight()) {
      long until = demand.millisUntilQuiet(fillSince, options.fillQuiet().toMillis());
      if (until > 0) {
        wakeIn = until;
        break;
      }
      List<PendingChunk> run = fill.nextRun();
      if (run == null) {
        fill = null;
        break;
      }
      ChunkRequest r = newRequest(run, FetchPriority.FILL);
      r.counted = true;
      running++;
      fillRunning++;
      start.add(r);
    }
    if (wakeIn >= 0 && !wakeScheduled) {
      wakeScheduled = true;
    } else {
      wakeIn = -1;
    }
    return new Next(start, wakeIn);
  }

  /** A counted request finished (either way). */
  synchronized void done(ChunkRequest r) {
    running--;
    if (r.priority == FetchPriority.FILL) {
      fillRunning--;
    }
  }

  /** The wake-up asked for by {@link #next} happened (or could not be scheduled). */
  synchronized void woke() {
    wakeScheduled = false;
  }

  /** Drops everything queued and the fill; later calls queue nothing. */
  synchronized void close() {
    closed = true;
    queued.clear();
    fill = null;
  }
}
