package io.fastpull.blob;

import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Whether reads are waiting for a source right now, shared by the {@link ChunkReader}s of one
 * node so that a background fill of one layer steps aside while a read of any layer waits: the
 * fill is the only traffic that can wait, so it yields the link to what a container needs now.
 *
 * <p>Thread-safe.
 */
public final class FetchDemand {
  private final Clock clock;
  private final AtomicInteger waiting = new AtomicInteger();
  private volatile long lastWaitMillis = Long.MIN_VALUE / 2;

  public FetchDemand(Clock clock) {
    this.clock = clock;
  }

  void begin() {
    waiting.incrementAndGet();
  }

  void end() {
    lastWaitMillis = clock.millis();
    waiting.decrementAndGet();
  }

  /** Reads waiting for a source right now, across the readers sharing this. */
  public int waiting() {
    return waiting.get();
  }

  /**
   * Milliseconds until {@code quietMillis} will have passed without a waiting read and since
   * {@code sinceMillis}; 0 when that is already so. A read waiting now gives {@code quietMillis}.
   */
  long millisUntilQuiet(long sinceMillis, long quietMillis) {
    if (waiting.get() > 0) {
      return quietMillis;
    }
    long due = Math.max(lastWaitMillis, sinceMillis) + quietMillis;
    return Math.max(0, due - clock.millis());
  }
}
