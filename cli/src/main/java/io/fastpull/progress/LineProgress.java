package io.fastpull.progress;

import io.fastpull.registry.Descriptor;
import java.io.PrintWriter;
import java.util.Objects;
import java.util.function.Function;

/**
 * Progress for pipes and CI logs: one line per finished layer (short digest, size, time, rate,
 * what happened), one per step, nothing redrawn. Thread-safe: lines never interleave.
 *
 * @param <R> the per-layer result, shown through the summary function
 */
public final class LineProgress<R> implements Progress<R> {
  private final PrintWriter out;
  private final Function<R, Summary> summary;

  /** @param summary how a finished layer's result is shown; must not throw */
  public LineProgress(PrintWriter out, Function<R, Summary> summary) {
    this.out = Objects.requireNonNull(out, "out");
    this.summary = Objects.requireNonNull(summary, "summary");
  }

  @Override
  public synchronized void planned(String subject, int layers, long bytes) {
    print(plannedLine(subject, layers, bytes));
  }

  @Override
  public synchronized void layerDone(Descriptor layer, R result) {
    print(doneLine(layer, summary.apply(result)));
  }

  @Override
  public synchronized void step(String message) {
    print(message);
  }

  private void print(String line) {
    out.println(line);
    out.flush();
  }

  static String plannedLine(String subject, int layers, long bytes) {
    return subject + ": " + layers + (layers == 1 ? " layer, " : " layers, ")
        + Units.bytes(bytes);
  }

  /** {@code layer 3f2a1b4c5d6e 45.2 MiB, 1.23 s, 36.7 MiB/s: DETAIL}; no rate when nothing moved. */
  static String doneLine(Descriptor layer, Summary s) {
    StringBuilder b = new StringBuilder("layer ").append(layer.digest().hex(), 0, 12)
        .append(' ').append(Units.bytes(layer.size())).append(", ")
        .append(Units.elapsed(s.elapsed()));
    String rate = s.bytes() == 0 ? "" : Units.rate(s.bytes(), s.elapsed());
    if (!rate.isEmpty()) {
      b.append(", ").append(rate);
    }
    return b.append(": ").append(s.detail()).toString();
  }
}
