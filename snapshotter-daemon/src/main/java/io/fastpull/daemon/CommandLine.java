package io.fastpull.daemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The daemon's own argument parser (the CLI module wraps the daemon in picocli): {@code --config
 * FILE} and one flag per {@link ConfigKey}, as {@code --flag VALUE} or {@code --flag=VALUE}.
 * Flags override the file, which overrides the defaults.
 */
final class CommandLine {
  static final String USAGE = "usage: SnapshotterDaemon [--config FILE] [--KEY VALUE]..."
      + " (keys: " + ConfigKey.names() + "; cache_size is --cache-size)";

  private CommandLine() {}

  /**
   * @throws IllegalArgumentException for an unknown flag, a missing or bad value
   * @throws IOException if the config file cannot be read or has a bad key or value
   */
  static DaemonConfig parse(String[] args) throws IOException {
    Path config = null;
    List<String[]> flags = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      int eq = arg.indexOf('=');
      String flag = eq > 0 ? arg.substring(0, eq) : arg;
      if (!flag.equals("--config") && key(flag).isEmpty()) {
        throw new IllegalArgumentException("unknown argument \"" + flag + "\"");
      }
      String value;
      if (eq > 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      if (flag.equals("--config")) {
        config = Path.of(value);
      } else {
        flags.add(new String[] {flag, value});
      }
    }
    DaemonConfig.Builder b =
        config == null ? DaemonConfig.builder() : DaemonConfig.load(config, DaemonConfig.builder());
    for (String[] f : flags) {
      ConfigKey key = key(f[0]).orElseThrow();
      try {
        b.set(key, f[1]);
      } catch (IllegalArgumentException bad) {
        throw new IllegalArgumentException(f[0] + ": " + bad.getMessage(), bad);
      }
    }
    return b.build();
  }

  private static Optional<ConfigKey> key(String flag) {
    for (ConfigKey k : ConfigKey.values()) {
      if (k.flag().equals(flag)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
