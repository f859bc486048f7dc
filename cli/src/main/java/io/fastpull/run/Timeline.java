package io.fastpull.run;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * When each named phase was first reached, in seconds since the run began. The first mark of a
 * name wins. Thread-safe (log reader, readiness poller and the main thread all mark).
 */
final class Timeline {
  private final Clock clock;
  private final long start;
  private final Map<String, Long> marks = new LinkedHashMap<>();

  Timeline(Clock clock) {
    this.clock = clock;
    this.start = clock.millis();
  }

  /** The start, in the clock's milliseconds (since the epoch for the system clock). */
  long startMillis() {
    return start;
  }

  /** Milliseconds since the start. */
  long elapsedMillis() {
    return clock.millis() - start;
  }

  /** Records {@code name} now unless it was recorded before; returns whether this mark won. */
  synchronized boolean mark(String name) {
    return marks.putIfAbsent(name, elapsedMillis()) == null;
  }

  synchronized boolean has(String name) {
    return marks.containsKey(name);
  }

  /** The phases reached, earliest first. */
  synchronized List<Report.Timing> timings() {
    List<Report.Timing> out = new ArrayList<>();
    marks.forEach((n, ms) -> out.add(new Report.Timing(n, ms / 1000.0)));
    out.sort(Comparator.comparingDouble(Report.Timing::seconds));
    return out;
  }
}
