package io.fastpull.cli;

import io.fastpull.daemon.ConfigKey;
import io.fastpull.daemon.DaemonConfig;
import io.fastpull.daemon.LogFormat;
import io.fastpull.daemon.SnapshotterDaemon;
import io.fastpull.logging.LogSetup;
import io.fastpull.logging.LogStyle;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * {@code fastpull daemon}: the containerd snapshotter, in the foreground. Every config key has a
 * flag of the same name (added from {@link ConfigKey} by {@link Flags}); a flag overrides the
 * file, which overrides the default.
 */
@Command(name = "daemon", mixinStandardHelpOptions = true, modelTransformer = DaemonCommand.Flags.class,
    sortOptions = false,
    description = {"Serve containerd's snapshots API on a Unix socket and mount lazy layers.",
        "Settings come from the defaults, then the config file (TOML, keys as the flags with _ for"
            + " -, e.g. cache_size), then these flags.", ""})
final class DaemonCommand implements Callable<Integer> {
  static final Path DEFAULT_CONFIG = Path.of("/etc/fastpull/config.toml");

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE",
      description = "config file (default: /etc/fastpull/config.toml when it exists)")
  Path config;

  @Option(names = "--print-config",
      description = "print the settings in effect (defaults, file, flags) as TOML, and exit")
  boolean printConfig;

  @Option(names = "--no-lazy", hidden = true, description = "the same as --lazy=false")
  boolean noLazy;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    DaemonConfig c;
    try {
      c = config();
    } catch (IOException | IllegalArgumentException e) {
      err.println("fastpull daemon: " + e.getMessage());
      err.flush();
      return 2;
    }
    if (printConfig) {
      spec.commandLine().getOut().print(c.toToml());
      spec.commandLine().getOut().flush();
      return 0;
    }
    LogSetup.set(c.logFormat() == LogFormat.JSON ? LogStyle.JSON : LogStyle.TEXT,
        org.slf4j.event.Level.valueOf(c.logLevel().name()));
    return SnapshotterDaemon.run(c);
  }

  /**
   * The defaults, then the file, then the flags given.
   *
   * @throws IOException if the file cannot be read or has a bad key or value
   * @throws IllegalArgumentException if a flag has a bad value (the message names the flag)
   */
  DaemonConfig config() throws IOException {
    Path file = config;
    if (file == null && Files.isRegularFile(DEFAULT_CONFIG)) {
      file = DEFAULT_CONFIG;
    }
    DaemonConfig.Builder b = file == null ? DaemonConfig.builder()
        : DaemonConfig.load(file, DaemonConfig.builder());
    ParseResult given = spec.commandLine().getParseResult();
    for (ConfigKey k : ConfigKey.values()) {
      if (!given.hasMatchedOption(k.flag())) {
        continue;
      }
      Object value = spec.findOption(k.flag()).getValue();
      String text = value instanceof List<?> list
          ? String.join(",", list.stream().map(String::valueOf).toList())
          : String.valueOf(value);
      try {
        b.set(k, text);
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(k.flag() + ": " + bad.getMessage(), bad);
      }
    }
    if (noLazy) {
      b.lazy(false);
    }
    try {
      return b.build();
    } catch (IllegalArgumentException bad) {
      throw new IllegalArgumentException(
          "bad settings" + (file == null ? "" : " (config " + file + " and flags)") + ": "
              + bad.getMessage(), bad);
    }
  }

  /** Adds one option per {@link ConfigKey}, its default shown in {@code --help}. */
  public static final class Flags implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
      DaemonConfig defaults = DaemonConfig.builder().build();
      for (ConfigKey k : ConfigKey.values()) {
        String def = defaults.text(k);
        OptionSpec.Builder o = OptionSpec.builder(k.flag())
            .paramLabel(k.label())
            .description(k.meaning() + " (" + k.key() + "; default: "
                + (def.isEmpty() ? "none" : "${DEFAULT-VALUE}") + ")");
        if (!def.isEmpty()) {
          o.defaultValue(def);
        }
        if (k.isList()) {
          o.type(List.class).auxiliaryTypes(String.class).splitRegex(",");
        } else {
          o.type(String.class);
        }
        if (k.isBoolean()) {
          o.arity("0..1").fallbackValue("true");
        }
        spec.addOption(o.build());
      }
      return spec;
    }
  }
}
