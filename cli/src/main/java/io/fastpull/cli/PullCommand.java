package io.fastpull.cli;

import io.fastpull.progress.LineProgress;
import io.fastpull.progress.Progress;
import io.fastpull.progress.TerminalProgress;
import io.fastpull.pull.LayerResult;
import io.fastpull.pull.Puller;
import io.fastpull.registry.Platform;
import io.fastpull.registry.RegistryClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastpull pull}: a lazy pull into containerd. */
@Command(name = "pull", mixinStandardHelpOptions = true,
    description = {"Pull an image into containerd through the fastpull snapshotter: lazy layers "
        + "are mounted remotely (nothing downloaded), others are downloaded and unpacked.",
        "Afterwards `ctr images ls` lists it and `ctr run --snapshotter fastpull IMAGE ID` runs it."})
final class PullCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE")
  String image;

  @Mixin PullCommand.Target target = new Target();

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    // System.console() is null unless stdin and stdout are both a terminal.
    TerminalProgress<LayerResult> terminal = System.console() != null
        ? new TerminalProgress<>(out, PullCommand::layerSummary, Clock.systemUTC()) : null;
    Progress<LayerResult> progress = terminal != null ? terminal
        : new LineProgress<>(out, PullCommand::layerSummary);
    try (RegistryClient client = target.registryClient();
        Puller puller = Puller.open(client, target.options(spec), progress, Clock.systemUTC())) {
      Puller.Result r = puller.pull(image);
      if (terminal != null) {
        terminal.close();
      }
      out.println(summary(r));
      out.flush();
    } finally {
      if (terminal != null) {
        terminal.close();
      }
    }
    return 0;
  }

  static String summary(Puller.Result r) {
    return String.format(Locale.ROOT, "pulled %s %s: %d layers (%d lazy, %d downloaded, %d "
            + "present), %s of %s downloaded, %.2f s", r.name(), r.manifest().digest(),
        r.layers().size(), r.count(LayerResult.Outcome.LAZY),
        r.count(LayerResult.Outcome.DOWNLOADED),
        r.count(LayerResult.Outcome.EXISTS) + r.count(LayerResult.Outcome.EXISTS_LAZY),
        ConvertCommand.mib(r.bytesDownloaded()), ConvertCommand.mib(r.layerBytes()),
        r.elapsed().toMillis() / 1000.0);
  }

  /** A pulled layer as progress shows it: the bytes downloaded for it and what was done. */
  static Progress.Summary layerSummary(LayerResult l) {
    String what = switch (l.outcome()) {
      case LAZY -> "mounted lazily (layer " + l.index() + ")";
      case DOWNLOADED -> "downloaded and unpacked (layer " + l.index() + ")";
      case EXISTS -> "already present (layer " + l.index() + ")";
      case EXISTS_LAZY -> "already present, mounted lazily (layer " + l.index() + ")";
    };
    return new Progress.Summary(l.bytesDownloaded(), l.elapsed(), what);
  }

  /** containerd and registry options shared by {@code pull}, {@code run} and {@code record}. */
  static final class Target extends RegistryOptions {
    @Option(names = "--address", paramLabel = "SOCKET",
        description = "containerd's socket (default ${DEFAULT-VALUE})",
        defaultValue = "/run/containerd/containerd.sock")
    Path address;

    @Option(names = {"-n", "--namespace"}, description = "containerd namespace (default "
        + "${DEFAULT-VALUE}; k8s.io for Kubernetes)", defaultValue = "default")
    String namespace;

    @Option(names = "--snapshotter", description = "snapshotter to unpack into (default "
        + "${DEFAULT-VALUE})", defaultValue = "fastpull")
    String snapshotter;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
        description = "platform to pick from an index (default: this machine's)")
    String platform;

    RegistryClient registryClient() {
      return client();
    }

    Puller.Options options(CommandSpec spec) {
      try {
        Puller.Options o = Puller.Options.defaults().withAddress(address)
            .withNamespace(namespace).withSnapshotter(snapshotter);
        return platform == null ? o : o.withPlatform(Platform.parse(platform));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }
  }
}
