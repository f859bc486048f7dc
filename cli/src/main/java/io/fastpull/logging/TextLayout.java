package io.fastpull.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.slf4j.event.KeyValuePair;

/**
 * Text lines: the daemon's ({@code 2026-12-02T14:45:36.123Z INFO  SnapshotterDaemon: message
 * key=value}, UTC, stack traces below), or a command's (short warnings; the same with a local
 * time of day when more is asked for). Thread-safe.
 */
final class TextLayout extends LayoutBase<ILoggingEvent> {
  /** Made on first use: a command's short warnings need no clock (and so start faster). */
  static final class Formats {
    /** ISO-8601 in UTC with milliseconds, e.g. {@code 2026-12-02T14:45:36.123Z}. */
    static final DateTimeFormatter UTC =
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
    static final DateTimeFormatter TIME_OF_DAY = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    private Formats() {}
  }

  private final boolean daemon;
  private final boolean brief;

  /**
   * @param daemon the daemon's form (UTC timestamps) rather than a command's
   * @param brief a command's short form for warnings and errors only, without time, logger or
   *     stack trace
   */
  TextLayout(boolean daemon, boolean brief) {
    this.daemon = daemon;
    this.brief = brief;
  }

  @Override
  public String doLayout(ILoggingEvent e) {
    StringBuilder s = new StringBuilder(128);
    if (brief) {
      s.append("fastpull: ").append(e.getLevel() == Level.ERROR ? "error: " : "warning: ");
      message(s, e);
      if (e.getThrowableProxy() != null) {
        s.append(" (").append(e.getThrowableProxy().getMessage()).append(')');
      }
      return s.append(CoreConstants.LINE_SEPARATOR).toString();
    }
    if (daemon) {
      Formats.UTC.formatTo(e.getInstant(), s);
    } else {
      Formats.TIME_OF_DAY.formatTo(e.getInstant().atZone(java.time.ZoneId.systemDefault()), s);
    }
    String level = e.getLevel().toString();
    s.append(' ').append(level).append(" ".repeat(Math.max(1, 6 - level.length())));
    s.append(shortName(e.getLoggerName())).append(": ");
    message(s, e);
    s.append(CoreConstants.LINE_SEPARATOR);
    if (e.getThrowableProxy() != null) {
      s.append(ThrowableProxyUtil.asString(e.getThrowableProxy()))
          .append(CoreConstants.LINE_SEPARATOR);
    }
    return s.toString();
  }

  private static void message(StringBuilder s, ILoggingEvent e) {
    s.append(e.getFormattedMessage());
    if (e.getKeyValuePairs() != null) {
      for (KeyValuePair kv : e.getKeyValuePairs()) {
        s.append(' ').append(kv.key).append('=').append(kv.value);
      }
    }
  }

  static String shortName(String logger) {
    return logger.substring(logger.lastIndexOf('.') + 1);
  }
}
