package io.fastpull.registry;

import java.time.Duration;

/** Waits between retries; injected so tests need not sleep for real. */
@FunctionalInterface
public interface Sleeper {
  /** Waits {@code d}. @throws InterruptedException when interrupted */
  void sleep(Duration d) throws InterruptedException;

  /** {@link Thread#sleep}. */
  Sleeper SYSTEM = d -> Thread.sleep(d.toMillis());
}
