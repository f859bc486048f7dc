package io.fastpull.daemon;

import java.io.IOException;
import java.nio.file.Path;

/** The daemon's own argument parser (the CLI module wraps the daemon in picocli). */
final class CommandLine {
  static final String USAGE =
      "usage: SnapshotterDaemon [--config FILE] [--root DIR] [--socket PATH]";

  private CommandLine() {}

  static DaemonConfig parse(String[] args) throws IOException {
    Path config = null;
    Path root = null;
    Path socket = null;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (!flag.equals("--config") && !flag.equals("--root") && !flag.equals("--socket")) {
        throw new IllegalArgumentException("unknown argument \"" + flag + "\"");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      Path value = Path.of(args[++i]);
      if (flag.equals("--config")) {
        config = value;
      } else if (flag.equals("--root")) {
        root = value;
      } else {
        socket = value;
      }
    }
    DaemonConfig.Builder b =
        config == null ? DaemonConfig.builder() : DaemonConfig.load(config).toBuilder();
    if (root != null) {
      b.root(root);
    }
    if (socket != null) {
      b.socket(socket);
    }
    return b.build();
  }
}
