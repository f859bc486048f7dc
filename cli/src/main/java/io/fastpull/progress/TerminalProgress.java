package io.fastpull.progress;

import io.fastpull.registry.Descriptor;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Progress for a person at a terminal: the lines of {@link LineProgress}, and below them one status
 * line, redrawn in place (carriage return, erase line) at most every {@link #REDRAW_MILLIS} ms,
 * with the layers done and running, the running layers' bytes moved of their size, the rate over
 * the last {@link #WINDOW_MILLIS} ms and the time left at that rate:
 *
 * <pre>{@code
 * 2/5 layers, 2 running: 123.4 MiB of 456.7 MiB, 45.6 MiB/s, ETA 7s
 * }</pre>
 *
 * <p>Thread-safe (one lock; every event is cheap). Time comes from the injected clock. {@link
 * #close()} erases the status line, so whatever the command prints next starts on a clean line.
 *
 * @param <R> the per-layer result, shown through the summary function
 */
public final class TerminalProgress<R> implements Progress<R>, AutoCloseable {
  static final long REDRAW_MILLIS = 100;
  static final long WINDOW_MILLIS = 5_000;
  private static final String ERASE = "\r\033[K";

  private final PrintWriter out;
  private final Function<R, Summary> summary;
  private final Clock clock;

  // All guarded by this.
  /** Running layers: bytes done and total. */
  private final Map<Descriptor, long[]> running = new LinkedHashMap<>();
  /** (time ms, bytes moved so far) samples over the last window, oldest first. */
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();
  private long moved;
  private int planned = -1;
  private int done;
  private long lastDraw = Long.MIN_VALUE;
  private boolean statusShown;

  /**
   * @param summary how a finished layer's result is shown; must not throw
   * @param clock the time of events, for the rate and the redraw interval
   */
  public TerminalProgress(PrintWriter out, Function<R, Summary> summary, Clock clock) {
    this.out = Objects.requireNonNull(out, "out");
    this.summary = Objects.requireNonNull(summary, "summary");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public synchronized void planned(String subject, int layers, long bytes) {
    planned = layers;
    line(LineProgress.plannedLine(subject, layers, bytes));
  }

  @Override
  public synchronized void layerStarted(Descriptor layer) {
    if (running.putIfAbsent(layer, new long[] {0, layer.size()}) == null) {
      sample();
    }
    draw(true);
  }

  @Override
  public synchronized void layerBytes(Descriptor layer, long bytesDone, long total) {
    long[] state = running.get(layer);
    if (state == null) {
      // No layerStarted (the puller sends none): the layer starts with its first bytes.
      state = new long[] {0, total};
      running.put(layer, state);
      sample();
    }
    moved += Math.max(0, bytesDone - state[0]);
    state[0] = bytesDone;
    state[1] = total;
    sample();
    draw(false);
  }

  @Override
  public synchronized void layerDone(Descriptor layer, R result) {
    long[] state = running.remove(layer);
    if (state != null && state[1] > state[0]) {
      // The last bytes since the latest report still count towards the rate.
      moved += state[1] - state[0];
      sample();
    }
    done++;
    line(LineProgress.doneLine(layer, summary.apply(result)));
  }

  @Override
  public synchronized void step(String message) {
    line(message);
  }

  /** Erases the status line. Idempotent; events after it draw a new one. */
  @Override
  public synchronized void close() {
    if (statusShown) {
      out.print(ERASE);
      out.flush();
      statusShown = false;
    }
  }

  /** A permanent line above the status line. */
  private void line(String text) {
    out.print(ERASE + text + "\n");
    statusShown = false;
    draw(true);
  }

  private void sample() {
    long now = clock.millis();
    samples.addLast(new long[] {now, moved});
    // Keep one sample at or before the window's start, so the rate spans the whole window.
    while (samples.size() > 1) {
      long[] oldest = samples.removeFirst();
      if (samples.getFirst()[0] > now - WINDOW_MILLIS) {
        samples.addFirst(oldest);
        break;
      }
    }
  }

  private void draw(boolean force) {
    long now = clock.millis();
    if (!force && now - lastDraw < REDRAW_MILLIS) {
      return;
    }
    lastDraw = now;
    if (running.isEmpty()) {
      if (statusShown) {
        out.print(ERASE);
        statusShown = false;
      }
      out.flush();
      return;
    }
    out.print(ERASE + status(now));
    statusShown = true;
    out.flush();
  }

  /** The status line's text at {@code now}; package-private for tests. */
  synchronized String status(long now) {
    long bytesDone = 0;
    long total = 0;
    for (long[] s : running.values()) {
      bytesDone += s[0];
      total += Math.max(s[0], s[1]);
    }
    StringBuilder b = new StringBuilder();
    b.append(done);
    if (planned >= 0) {
      b.append('/').append(planned);
    }
    b.append(planned == 1 ? " layer, " : " layers, ").append(running.size()).append(" running: ")
        .append(Units.bytes(bytesDone)).append(" of ").append(Units.bytes(total));
    long rate = rate(now);
    if (rate > 0) {
      b.append(", ").append(Units.bytes(rate)).append("/s, ETA ")
          .append(Units.eta((total - bytesDone + rate - 1) / rate));
    }
    return b.toString();
  }

  /** Bytes per second over the window ending at {@code now}, 0 until it can be told. */
  private long rate(long now) {
    if (samples.isEmpty()) {
      return 0;
    }
    long[] first = samples.getFirst();
    // A stall adds no samples: the rate then falls as time passes, as it should.
    long millis = now - first[0];
    if (millis < REDRAW_MILLIS) {
      return 0;
    }
    return Math.round((moved - first[1]) * 1000.0 / millis);
  }
}
