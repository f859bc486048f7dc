package io.fastpull.daemon;

import java.util.concurrent.TimeUnit;

/** Stops a process this test started: SIGTERM, then SIGKILL after a bounded wait. */
final class Processes {
  private Processes() {}

  static void stop(Process p, int graceSeconds) {
    p.destroy();
    try {
      if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
