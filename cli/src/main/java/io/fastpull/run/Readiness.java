package io.fastpull.run;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Polls a URL until it answers 200, the deadline passes or {@code stop} says the container is
 * gone; marks {@code ready} on the timeline at the first 200, then calls {@code onReady}. Runs on its own daemon thread;
 * {@link #close()} stops it (idempotent).
 */
final class Readiness implements AutoCloseable {
  private static final Duration INTERVAL = Duration.ofMillis(100);

  private final Thread thread;

  private Readiness(Thread thread) {
    this.thread = thread;
  }

  static Readiness start(URI url, Duration timeout, Timeline timeline, BooleanSupplier stop,
      Runnable onReady) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2)).GET().build();
    long deadline = timeline.elapsedMillis() + timeout.toMillis();
    Thread t = new Thread(() -> {
      while (timeline.elapsedMillis() < deadline && !stop.getAsBoolean()
          && !Thread.currentThread().isInterrupted()) {
        try {
          HttpResponse<Void> r = http.send(request, HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() == 200) {
            timeline.mark("ready");
            onReady.run();
            return;
          }
        } catch (InterruptedException e) {
          return;
        } catch (Exception e) {
          // not up yet: connection refused or reset while the server starts
        }
        try {
          Thread.sleep(INTERVAL.toMillis());
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "fastpull-readiness");
    t.setDaemon(true);
    t.start();
    return new Readiness(t);
  }

  /** Waits up to {@code max} for the poller to finish (ready or given up). */
  void await(Duration max) throws InterruptedException {
    thread.join(max.toMillis());
  }

  @Override
  public void close() {
    thread.interrupt();
  }
}
