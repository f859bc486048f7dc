package io.fastpull.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.nio.charset.StandardCharsets;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Sets up logback in code: everything goes to stderr in one {@link LogStyle} at one level. Until
 * told otherwise, it is {@link LogStyle#COMMAND} at WARN, so the commands people run print only
 * what they mean to, plus warnings.
 *
 * <p>logback finds this class as a {@link Configurator} service and calls {@link #configure} when
 * the first logger is made, so a command that logs nothing never starts logback. {@link #set} may
 * be called before that (it only records the choice) or after (it reconfigures at once).
 * Thread-safe.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
  private static LogStyle style = LogStyle.COMMAND; // guarded by LogSetup.class
  private static org.slf4j.event.Level level = org.slf4j.event.Level.WARN;
  private static LoggerContext configured; // null until logback has started

  /** For logback's service loader. */
  public LogSetup() {}

  /** Chooses the style and level of what is logged from now on. */
  public static void set(LogStyle newStyle, org.slf4j.event.Level newLevel) {
    synchronized (LogSetup.class) {
      style = newStyle;
      level = newLevel;
      if (configured != null) {
        apply(configured);
      }
    }
  }

  /** Sets up logback now (rather than at the first logger), in the style chosen so far. */
  public static void start() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext ctx) {
      synchronized (LogSetup.class) {
        if (configured == null) {
          apply(ctx);
        }
      }
    }
  }

  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    synchronized (LogSetup.class) {
      apply(ctx);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  private static void apply(LoggerContext ctx) {
    ctx.reset();
    LayoutBase<ILoggingEvent> layout = switch (style) {
      case JSON -> new JsonLayout();
      case TEXT -> new TextLayout(true, false);
      case COMMAND -> new TextLayout(false, level.toInt() >= org.slf4j.event.Level.WARN.toInt());
    };
    layout.setContext(ctx);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(ctx);
    encoder.setCharset(StandardCharsets.UTF_8);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(ctx);
    stderr.setName("stderr");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    if (style != LogStyle.COMMAND) {
      // gRPC logs through java.util.logging, whose own two-line format would break the daemon's
      // (a JSON log must be one object a line). The propagator copies logback's levels to JUL,
      // so that JUL drops what logback would, before formatting it.
      LevelChangePropagator levels = new LevelChangePropagator();
      levels.setContext(ctx);
      levels.setResetJUL(true);
      levels.start();
      ctx.addListener(levels);
      if (!SLF4JBridgeHandler.isInstalled()) {
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
      }
    }
    Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level.toString()));
    root.addAppender(stderr);
    configured = ctx;
  }
}
