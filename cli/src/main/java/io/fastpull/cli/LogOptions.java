package io.fastpull.cli;

import io.fastpull.logging.LogSetup;
import io.fastpull.logging.LogStyle;
import java.util.Locale;
import org.slf4j.event.Level;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code -v/--verbose} and {@code --log-level} for every command but {@code daemon} (whose log
 * settings are config keys). By default a command shows only the warnings and errors that
 * libraries log, in short; what it means people to see it prints itself.
 */
final class LogOptions {
  private LogOptions() {}

  /** Adds the options to every command under {@code top} (not to {@code daemon}). */
  static void addTo(CommandLine top) {
    for (CommandLine sub : top.getSubcommands().values()) {
      if (sub.getCommand() instanceof DaemonCommand) {
        continue;
      }
      add(sub.getCommandSpec());
      addTo(sub);
    }
  }

  private static void add(CommandSpec spec) {
    // names a command already has are left to it
    if (spec.findOption("--verbose") == null) {
      String[] names = spec.findOption("-v") == null
          ? new String[] {"-v", "--verbose"} : new String[] {"--verbose"};
      spec.addOption(OptionSpec.builder(names)
          .type(boolean.class)
          .description("also show what the libraries log at info level")
          .setter(new CommandLine.Model.ISetter() {
            @Override
            public <T> T set(T value) {
              if (Boolean.TRUE.equals(value)) {
                LogSetup.set(LogStyle.COMMAND, Level.INFO);
              }
              return null;
            }
          })
          .build());
    }
    if (spec.findOption("--log-level") == null) {
      spec.addOption(OptionSpec.builder("--log-level")
          .paramLabel("LEVEL")
          .type(String.class)
          .description("what the libraries log that is shown: " + levels() + " (default: warn)")
          .setter(new CommandLine.Model.ISetter() {
            @Override
            public <T> T set(T value) {
              if (value != null) {
                LogSetup.set(LogStyle.COMMAND, level(spec, (String) value));
              }
              return null;
            }
          })
          .build());
    }
  }

  private static Level level(CommandSpec spec, String text) {
    try {
      return Level.valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "unknown log level \"" + text + "\" (use one of: " + levels() + ")");
    }
  }

  private static String levels() {
    return "trace, debug, info, warn, error";
  }
}
