package io.fastpull.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One JSON object a line: {@code time} (ISO-8601 UTC, milliseconds), {@code level}, {@code
 * logger} (full name), {@code thread}, {@code message}, then the event's key-value pairs (SLF4J's
 * fluent API) unless they would replace one of those, and {@code exception} (the stack trace as
 * text) when there is one. Thread-safe.
 */
final class JsonLayout extends LayoutBase<ILoggingEvent> {
  private static final JsonFactory JSON = new JsonFactory();
  private static final Set<String> FIELDS =
      Set.of("time", "level", "logger", "thread", "message", "exception");

  @Override
  public String doLayout(ILoggingEvent e) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", TextLayout.Formats.UTC.format(e.getInstant()));
      g.writeStringField("level", e.getLevel().toString());
      g.writeStringField("logger", e.getLoggerName());
      g.writeStringField("thread", e.getThreadName());
      g.writeStringField("message", e.getFormattedMessage());
      if (e.getKeyValuePairs() != null) {
        for (KeyValuePair kv : e.getKeyValuePairs()) {
          if (!FIELDS.contains(kv.key)) {
            g.writeStringField(kv.key, String.valueOf(kv.value));
          }
        }
      }
      if (e.getThrowableProxy() != null) {
        g.writeStringField("exception", ThrowableProxyUtil.asString(e.getThrowableProxy()));
      }
      g.writeEndObject();
    } catch (IOException impossible) {
      throw new UncheckedIOException(impossible); // a StringWriter does not fail
    }
    return out.append(CoreConstants.LINE_SEPARATOR).toString();
  }
}
