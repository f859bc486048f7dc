package io.fastpull.blob;

import java.util.List;
import java.util.concurrent.FutureTask;

/**
 * One source request for a run of adjacent chunks. {@link #priority} and {@link #counted} are
 * guarded by the {@link FetchQueue} that queued the request until it is launched, and fixed
 * afterwards.
 */
final class ChunkRequest {
  final List<PendingChunk> run;
  /** Orders requests of equal priority: first queued, first served. */
  final long seq;
  FetchPriority priority;
  /** Whether it counts against the in-flight bounds (reads that wait are never held back). */
  boolean counted;
  volatile long startMillis;
  volatile FutureTask<Void> task;

  ChunkRequest(List<PendingChunk> run, FetchPriority priority, long seq) {
    this.run = run;
    this.priority = priority;
    this.seq = seq;
  }
}
