package io.fastpull.progress;

import java.time.Duration;
import java.util.Locale;

/** Sizes, rates and times as people read them: binary units, one decimal, short durations. */
public final class Units {
  private static final String[] BYTE_UNITS = {"B", "KiB", "MiB", "GiB", "TiB"};

  private Units() {}

  /** {@code 512 B}, {@code 1.5 KiB}, {@code 45.2 MiB}, {@code 10.0 GiB}. */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    double v = n;
    int unit = 0;
    while (v >= 1024 && unit < BYTE_UNITS.length - 1) {
      v /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, BYTE_UNITS[unit]);
  }

  /** {@code bytes} over {@code elapsed} as {@code 36.7 MiB/s}; empty when no time passed. */
  static String rate(long bytes, Duration elapsed) {
    long millis = elapsed.toMillis();
    if (millis <= 0) {
      return "";
    }
    return bytes(Math.round(bytes * 1000.0 / millis)) + "/s";
  }

  /** {@code 0.25 s}, {@code 12.3 s}, {@code 2m05s}, {@code 1h02m}. */
  static String elapsed(Duration d) {
    long millis = d.toMillis();
    if (millis < 10_000) {
      return String.format(Locale.ROOT, "%.2f s", millis / 1000.0);
    }
    if (millis < 60_000) {
      return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }
    return coarse(d.toSeconds());
  }

  /** A remaining time: {@code 7s}, {@code 2m05s}, {@code 1h02m}. */
  static String eta(long seconds) {
    return seconds < 60 ? seconds + "s" : coarse(seconds);
  }

  private static String coarse(long seconds) {
    if (seconds < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
  }
}
