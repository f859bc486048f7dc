package io.fastpull.cli;

import io.fastpull.install.Installer;
import io.fastpull.install.Layout;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fastpull install}: files, systemd unit and containerd config, idempotently. */
@Command(name = "install", mixinStandardHelpOptions = true,
    description = {"Install fastpull (run as root): the jar under PREFIX/lib/fastpull, the"
        + " launcher PREFIX/bin/fastpull, the systemd unit, a default daemon config, and the"
        + " proxy plugin in containerd's config (edited in place; a backup is kept).",
        "Running it again changes nothing. `fastpull uninstall` reverts it."})
final class InstallCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--cri", description = "also make fastpull the CRI plugin's snapshotter"
      + " (Kubernetes) and turn on snapshot annotations")
  boolean cri;

  @Option(names = "--dry-run", description = "print every change, change nothing")
  boolean dryRun;

  @Option(names = "--prefix", paramLabel = "DIR", description = "install prefix (default /usr/local)")
  Path prefix = Layout.DEFAULT_PREFIX;

  @Option(names = "--containerd-config", paramLabel = "FILE",
      description = "containerd's config (default /etc/containerd/config.toml)")
  Path containerdConfig = Layout.DEFAULT_CONTAINERD_CONFIG;

  @Option(names = "--config", paramLabel = "FILE",
      description = "fastpull daemon config, written only if absent (default"
          + " /etc/fastpull/config.toml); its socket goes into containerd's config")
  Path config = Layout.DEFAULT_FASTPULL_CONFIG;

  @Option(names = "--no-start", description = "do not start the daemon or restart containerd")
  boolean noStart;

  @Option(names = "--systemd-dir", hidden = true, paramLabel = "DIR")
  Path unitDir = Layout.DEFAULT_UNIT_DIR;

  @Option(names = "--pid-file", hidden = true, paramLabel = "FILE")
  Path pidFile = Layout.DEFAULT_PID_FILE;

  @Option(names = "--log-file", hidden = true, paramLabel = "FILE")
  Path logFile = Layout.DEFAULT_LOG_FILE;

  @Option(names = "--from", paramLabel = "DIR",
      description = "the build to install (fastpull.jar and lib/; default: the running one)")
  Path from;

  @Override
  public Integer call() throws IOException {
    Layout layout = new Layout(prefix, config, containerdConfig, unitDir, pidFile, logFile);
    new Installer(layout, cri, dryRun, !noStart, Optional.ofNullable(from), Clock.systemUTC(),
        spec.commandLine().getOut()).run();
    return 0;
  }
}
