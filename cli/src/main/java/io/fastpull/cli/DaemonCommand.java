package io.fastpull.cli;

import io.fastpull.daemon.DaemonConfig;
import io.fastpull.daemon.SnapshotterDaemon;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fastpull daemon}: the containerd snapshotter, in the foreground. */
@Command(name = "daemon", mixinStandardHelpOptions = true,
    description = {"Serve containerd's snapshots API on a Unix socket and mount lazy layers.",
        "Settings come from the config file (TOML), then from these flags."})
final class DaemonCommand implements Callable<Integer> {
  static final Path DEFAULT_CONFIG = Path.of("/etc/fastpull/config.toml");

  @Option(names = "--config", paramLabel = "FILE",
      description = "config file (default: /etc/fastpull/config.toml when it exists)")
  Path config;

  @Option(names = "--root", paramLabel = "DIR", description = "state directory")
  Path root;

  @Option(names = "--socket", paramLabel = "PATH", description = "snapshotter socket")
  Path socket;

  @Option(names = "--log-level", paramLabel = "LEVEL", description = "trace|debug|info|warn|error")
  String logLevel;

  @Spec CommandSpec spec;

  @Mixin RegistryOptions registry = new RegistryOptions();

  @Option(names = "--metrics-address", paramLabel = "HOST:PORT|disabled",
      description = "Prometheus metrics address")
  String metrics;

  @Option(names = "--no-lazy", description = "never mount lazy layers (containerd unpacks all)")
  boolean noLazy;

  @Override
  public Integer call() throws IOException {
    return SnapshotterDaemon.run(config());
  }

  DaemonConfig config() throws IOException {
    Path file = config;
    if (file == null && Files.isRegularFile(DEFAULT_CONFIG)) {
      file = DEFAULT_CONFIG;
    }
    DaemonConfig.Builder b = file == null ? DaemonConfig.builder()
        : DaemonConfig.load(file).toBuilder();
    if (root != null) {
      b.root(root);
    }
    if (socket != null) {
      b.socket(socket);
    }
    if (logLevel != null) {
      b.logLevel(io.fastpull.daemon.LogLevel.valueOf(logLevel.toUpperCase(java.util.Locale.ROOT)));
    }
    if (!registry.plainHttp.isEmpty()) {
      b.plainHttp(registry.plainHttp);
    }
    if (spec != null && RegistryOptions.given(spec, RegistryOptions.HOSTS_DIR)) {
      b.hostsDir(Optional.of(registry.hostsDir));
    }
    if (registry.dockerConfig != null) {
      b.dockerConfig(Optional.of(registry.dockerConfig));
    }
    if (metrics != null) {
      if (metrics.equals("disabled")) {
        b.metricsAddress(Optional.empty());
      } else {
        int colon = metrics.lastIndexOf(':');
        if (colon <= 0) {
          throw new IOException("--metrics-address takes HOST:PORT or disabled, not " + metrics);
        }
        b.metricsAddress(Optional.of(new InetSocketAddress(metrics.substring(0, colon),
            Integer.parseInt(metrics.substring(colon + 1)))));
      }
    }
    if (noLazy) {
      b.lazy(false);
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IOException("bad daemon settings: " + e.getMessage(), e);
    }
  }
}
