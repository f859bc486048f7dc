package io.fastpull.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as people type them: {@code 90} (seconds), {@code 90s}, {@code 500ms}, {@code 2m},
 * {@code 1h}, or ISO-8601 ({@code PT90S}).
 */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h)?");

  @Override
  public Duration convert(String text) {
    Matcher m = SIMPLE.matcher(text.trim());
    Duration d;
    if (m.matches()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new TypeConversionException("duration '" + text + "' is too large");
      }
      String unit = m.group(2) == null ? "s" : m.group(2);
      d = switch (unit) {
        case "ms" -> Duration.ofMillis(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofSeconds(n);
      };
    } else {
      try {
        d = Duration.parse(text.trim());
      } catch (DateTimeParseException e) {
        throw new TypeConversionException("duration '" + text + "' must look like 90, 90s, "
            + "500ms, 2m or 1h");
      }
    }
    if (d.isNegative() || d.isZero()) {
      throw new TypeConversionException("duration '" + text + "' must be positive");
    }
    return d;
  }
}
