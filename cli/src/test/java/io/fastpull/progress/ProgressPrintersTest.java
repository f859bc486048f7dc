package io.fastpull.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.MediaTypes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Both printers, driven by hand with a clock that moves only when told. */
class ProgressPrintersTest {
  private static final long MIB = 1 << 20;
  private final StringWriter text = new StringWriter();
  private final PrintWriter out = new PrintWriter(text);
  private final ManualClock clock = new ManualClock();

  private static Descriptor layer(char c, long size) {
    return Descriptor.of(MediaTypes.OCI_LAYER_GZIP, Digest.parse("sha256:" + String.valueOf(c)
        .repeat(64)), size);
  }

  /** The result type is the summary itself: the printers take any type through a function. */
  private static Progress.Summary moved(long bytes, long millis, String detail) {
    return new Progress.Summary(bytes, Duration.ofMillis(millis), detail);
  }

  @Test
  void linesGiveOneLinePerFinishedLayerWithSizeTimeAndRate() {
    LineProgress<Progress.Summary> p = new LineProgress<>(out, s -> s);
    p.planned("converting a -> b", 2, 30 * MIB);
    p.layerStarted(layer('a', 20 * MIB));
    p.layerBytes(layer('a', 20 * MIB), 5 * MIB, 20 * MIB);
    p.layerDone(layer('a', 20 * MIB), moved(20 * MIB, 4000, "-> blob"));
    p.layerDone(layer('b', 10 * MIB), moved(0, 12, "mounted lazily"));
    p.step("tagged b");
    assertEquals(List.of(
        "converting a -> b: 2 layers, 30.0 MiB",
        "layer aaaaaaaaaaaa 20.0 MiB, 4.00 s, 5.0 MiB/s: -> blob",
        "layer bbbbbbbbbbbb 10.0 MiB, 0.01 s: mounted lazily",
        "tagged b"), text.toString().lines().toList());
    assertFalse(text.toString().contains("\r"), "nothing is redrawn in a log");
  }

  @Test
  void terminalShowsBytesRateAndEtaOfTheRunningLayers() {
    TerminalProgress<Progress.Summary> p = new TerminalProgress<>(out, s -> s, clock);
    Descriptor a = layer('a', 100 * MIB);
    p.planned("pulling x", 3, 150 * MIB);
    p.layerStarted(a);
    assertEquals("0/3 layers, 1 running: 0 B of 100.0 MiB", p.status(clock.millis()));
    for (int i = 1; i <= 10; i++) {
      clock.advance(100);
      p.layerBytes(a, i * MIB, 100 * MIB);
    }
    // 10 MiB in 1 s: 10 MiB/s, 90 MiB left.
    assertEquals("0/3 layers, 1 running: 10.0 MiB of 100.0 MiB, 10.0 MiB/s, ETA 9s",
        p.status(clock.millis()));
    assertTrue(lastDrawn().startsWith("0/3 layers, 1 running: 10.0 MiB of 100.0 MiB"),
        lastDrawn());

    Descriptor b = layer('b', 50 * MIB);
    p.layerBytes(b, 10 * MIB, 50 * MIB);
    clock.advance(1000);
    p.layerBytes(a, 30 * MIB, 100 * MIB);
    // 40 MiB moved in the 2 s since the first sample (b's first 10 MiB count): 20 MiB/s.
    assertEquals("0/3 layers, 2 running: 40.0 MiB of 150.0 MiB, 20.0 MiB/s, ETA 6s",
        p.status(clock.millis()));

    p.layerDone(a, moved(100 * MIB, 9000, "downloaded"));
    String all = text.toString();
    assertTrue(all.contains("\r\033[Klayer aaaaaaaaaaaa 100.0 MiB, 9.00 s, 11.1 MiB/s: downloaded"
        + "\n"), all);
    // a's last 70 MiB, reported only by its end, count too: 110 MiB in 2 s.
    assertEquals("1/3 layers, 1 running: 10.0 MiB of 50.0 MiB, 55.0 MiB/s, ETA 1s",
        p.status(clock.millis()));
  }

  @Test
  void terminalRedrawsAtMostEveryTenthOfASecond() {
    TerminalProgress<Progress.Summary> p = new TerminalProgress<>(out, s -> s, clock);
    Descriptor a = layer('a', 100 * MIB);
    p.layerStarted(a);
    int draws = draws();
    for (int i = 1; i <= 50; i++) {
      clock.advance(10);
      p.layerBytes(a, i * MIB, 100 * MIB);
    }
    // 500 ms of events every 10 ms: five redraws, not fifty.
    assertEquals(5, draws() - draws);
  }

  @Test
  void terminalEtaGrowsWhenTheTransferStalls() {
    TerminalProgress<Progress.Summary> p = new TerminalProgress<>(out, s -> s, clock);
    Descriptor a = layer('a', 100 * MIB);
    p.layerStarted(a);
    clock.advance(1000);
    p.layerBytes(a, 50 * MIB, 100 * MIB);
    assertTrue(p.status(clock.millis()).endsWith("50.0 MiB/s, ETA 1s"), p.status(clock.millis()));
    clock.advance(49_000);
    assertTrue(p.status(clock.millis()).endsWith("1.0 MiB/s, ETA 50s"), p.status(clock.millis()));
    clock.advance(3_600_000);
    assertTrue(p.status(clock.millis()).endsWith("14.0 KiB/s, ETA 1h00m"), p.status(clock.millis()));
  }

  @Test
  void terminalEraseItsStatusLineOnClose() {
    TerminalProgress<Progress.Summary> p = new TerminalProgress<>(out, s -> s, clock);
    Descriptor a = layer('a', 100 * MIB);
    p.layerStarted(a);
    p.close();
    assertTrue(text.toString().endsWith("\r\033[K"), text.toString());
    int length = text.toString().length();
    p.close();
    assertEquals(length, text.toString().length(), "idempotent");
  }

  /** How often the status line was drawn: each draw starts with an erase and a digit. */
  private int draws() {
    return text.toString().split("\r\033\\[K[0-9]", -1).length - 1;
  }

  private String lastDrawn() {
    String s = text.toString();
    return s.substring(s.lastIndexOf("\r\033[K") + 4);
  }

  /** A clock that moves only by {@link #advance}. */
  private static final class ManualClock extends Clock {
    private long millis = 1_700_000_000_000L;

    void advance(long ms) {
      millis += ms;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }
}
