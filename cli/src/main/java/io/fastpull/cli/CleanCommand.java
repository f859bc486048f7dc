package io.fastpull.cli;

import io.fastpull.daemon.DaemonConfig;
import io.fastpull.install.Cleaner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fastpull clean}: fastpull's images, containers, snapshots and chunk cache. */
@Command(name = "clean", mixinStandardHelpOptions = true,
    description = {"Remove the containers that use the fastpull snapshotter, the images unpacked"
        + " into it, every fastpull snapshot (children first) and the chunk cache.",
        "Stops nothing: refuses, removing nothing, while one of those containers has a running"
        + " task."})
final class CleanCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--dry-run", description = "list what would go, remove nothing")
  boolean dryRun;

  @Option(names = "--address", paramLabel = "SOCK",
      description = "containerd's socket (default: ctr's, /run/containerd/containerd.sock)")
  Path address;

  static final class Scope {
    @Option(names = {"-n", "--namespace"}, paramLabel = "NS",
        description = "containerd namespace (default: default)")
    String namespace;

    @Option(names = "--all-namespaces", description = "every namespace")
    boolean all;
  }

  @ArgGroup(exclusive = true)
  Scope scope;

  @Option(names = "--config", paramLabel = "FILE",
      description = "fastpull daemon config, for the cache's place (default"
          + " /etc/fastpull/config.toml when it exists)")
  Path config;

  @Option(names = "--keep-cache", description = "leave the chunk cache")
  boolean keepCache;

  @Override
  public Integer call() throws IOException {
    Optional<String> ns = scope != null && scope.all ? Optional.empty()
        : Optional.of(scope != null && scope.namespace != null ? scope.namespace : "default");
    Path file = config;
    if (file == null && Files.isRegularFile(DaemonCommand.DEFAULT_CONFIG)) {
      file = DaemonCommand.DEFAULT_CONFIG;
    }
    Path root = file == null ? DaemonConfig.DEFAULT_ROOT : DaemonConfig.load(file).root();
    Optional<Path> cache = keepCache ? Optional.empty() : Optional.of(root.resolve("cache"));
    new Cleaner(Optional.ofNullable(address), ns, dryRun, cache, spec.commandLine().getOut())
        .run();
    return 0;
  }
}
