package io.fastpull.daemon;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way fastpull reads and writes durations, in the config file and on every command line:
 * integer amounts with a unit, largest unit first, as Go's {@code time.ParseDuration} (and so
 * containerd's and Kubernetes' configs) spell them: {@code 500ms}, {@code 90s}, {@code 5m},
 * {@code 1h30m}, {@code 2h0m5s}. A bare number is seconds ({@code 90}), which older command lines
 * used; ISO-8601 ({@code PT90S}) is accepted too.
 */
public final class DurationText {
  private DurationText() {}

  /** What the grammar looks like, for error messages and {@code --help}. */
  public static final String EXAMPLES = "90s, 5m, 1h30m, 500ms (a bare number is seconds)";

  private static final Pattern BARE = Pattern.compile("\\d+");
  private static final Pattern PART = Pattern.compile("(\\d+)(h|ms|m|s)");
  private static final String UNITS = "h m s ms";

  /**
   * Parses {@code text}.
   *
   * @return a duration, zero or positive
   * @throws IllegalArgumentException naming the text and the expected form when it is none of
   *     the accepted forms, repeats a unit, puts a smaller unit before a larger one, or overflows
   */
  public static Duration parse(String text) {
    String s = text == null ? "" : text.trim();
    try {
      if (BARE.matcher(s).matches()) {
        return Duration.ofSeconds(Long.parseLong(s));
      }
      if (s.startsWith("P") || s.startsWith("p")) {
        Duration d = Duration.parse(s);
        if (d.isNegative()) {
          throw bad(text);
        }
        return d;
      }
      Matcher m = PART.matcher(s);
      Duration total = Duration.ZERO;
      int at = 0;
      int lastUnit = -1;
      while (at < s.length()) {
        if (!m.find(at) || m.start() != at) {
          throw bad(text);
        }
        int unit = unitRank(m.group(2));
        if (unit <= lastUnit) {
          throw new IllegalArgumentException("duration \"" + text + "\" must give each unit once, "
              + "largest first (" + UNITS + "), e.g. 1h30m");
        }
        lastUnit = unit;
        long n = Long.parseLong(m.group(1));
        total = total.plus(switch (m.group(2)) {
          case "h" -> Duration.ofHours(n);
          case "m" -> Duration.ofMinutes(n);
          case "s" -> Duration.ofSeconds(n);
          default -> Duration.ofMillis(n);
        });
        at = m.end();
      }
      if (at == 0) {
        throw bad(text);
      }
      return total;
    } catch (NumberFormatException | ArithmeticException | DateTimeParseException e) {
      IllegalArgumentException x = bad(text);
      x.initCause(e);
      throw x;
    }
  }

  /** {@code d} in the form {@link #parse} reads: {@code 1h30m}, {@code 90s} is {@code 1m30s}. */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    if (d.isNegative()) {
      b.append('-');
      d = d.negated();
    }
    append(b, d.toHours(), "h");
    append(b, d.toMinutesPart(), "m");
    append(b, d.toSecondsPart(), "s");
    append(b, d.toMillisPart(), "ms");
    return b.toString();
  }

  private static void append(StringBuilder b, long n, String unit) {
    if (n != 0) {
      b.append(n).append(unit);
    }
  }

  private static int unitRank(String unit) {
    return switch (unit) {
      case "h" -> 0;
      case "m" -> 1;
      case "s" -> 2;
      default -> 3;
    };
  }

  private static IllegalArgumentException bad(String text) {
    return new IllegalArgumentException("duration \"" + text + "\" must look like " + EXAMPLES);
  }
}
