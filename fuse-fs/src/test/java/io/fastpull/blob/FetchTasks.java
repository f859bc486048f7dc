package io.fastpull.blob;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The readers' fetch executor in tests: runs each task on the fixture's pool and counts the tasks
 * given and finished, so that a test can see when the readers have nothing left to do (every task
 * finished or blocked where the test holds it) and how often a task has run to its end.
 */
final class FetchTasks implements Executor {
  private final Executor pool;
  private final AtomicInteger unfinished = new AtomicInteger();
  private final AtomicInteger finished = new AtomicInteger();

  FetchTasks(Executor pool) {
    this.pool = pool;
  }

  @Override
  public void execute(Runnable task) {
    unfinished.incrementAndGet();
    try {
      pool.execute(() -> {
        try {
          task.run();
        } finally {
          finished.incrementAndGet();
          unfinished.decrementAndGet();
        }
      });
    } catch (RejectedExecutionException e) {
      unfinished.decrementAndGet();
      throw e;
    }
  }

  /** Tasks given and not finished: queued, running or blocked. */
  int unfinished() {
    return unfinished.get();
  }

  /** Tasks that have run to their end. */
  int finished() {
    return finished.get();
  }
}
