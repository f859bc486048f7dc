package io.fastpull.cli;

import io.fastpull.install.Layout;
import io.fastpull.install.Uninstaller;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fastpull uninstall}: reverts {@code fastpull install} from its manifest. */
@Command(name = "uninstall", mixinStandardHelpOptions = true,
    description = {"Revert `fastpull install`: stop the daemon, take fastpull out of containerd's"
        + " config (the backup comes back if the file is unchanged since install), remove the"
        + " installed files. fastpull's data (images' snapshots, chunk cache) stays unless --purge."})
final class UninstallCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--dry-run", description = "print every change, change nothing")
  boolean dryRun;

  @Option(names = "--purge", description = "also remove the daemon's state directory")
  boolean purge;

  @Option(names = "--prefix", paramLabel = "DIR",
      description = "the prefix install used (default /usr/local)")
  Path prefix = Layout.DEFAULT_PREFIX;

  @Option(names = "--config", paramLabel = "FILE",
      description = "fastpull daemon config, for its state directory (default"
          + " /etc/fastpull/config.toml)")
  Path config = Layout.DEFAULT_FASTPULL_CONFIG;

  @Override
  public Integer call() throws IOException {
    Layout d = Layout.defaults(prefix);
    Layout layout = new Layout(prefix, config, d.containerdConfig(), d.unitDir(), d.pidFile(),
        d.logFile());
    new Uninstaller(layout, dryRun, purge, spec.commandLine().getOut()).run();
    return 0;
  }
}
