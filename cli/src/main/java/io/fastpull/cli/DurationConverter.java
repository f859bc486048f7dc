package io.fastpull.cli;

import io.fastpull.daemon.DurationText;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The converter of every duration option of every command: {@link DurationText}'s grammar
 * ({@code 90s}, {@code 5m}, {@code 1h30m}, {@code 500ms}; a bare number is seconds), the same as
 * the daemon's config file. Durations on the command line bound something, so zero is refused.
 */
final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String text) {
    Duration d;
    try {
      d = DurationText.parse(text);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
    if (d.isZero()) {
      throw new TypeConversionException("duration \"" + text + "\" must be positive");
    }
    return d;
  }
}
