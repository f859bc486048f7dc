package io.fastpull.cli;

import io.fastpull.pull.LayerResult;
import io.fastpull.pull.Progress;
import io.fastpull.pull.Puller;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Platform;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.auth.DockerConfigStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
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
    Progress progress = System.console() != null ? new TerminalProgress(out) : new LineProgress(out);
    try (RegistryClient client = target.registryClient();
        Puller puller = Puller.open(client, target.options(spec), progress, Clock.systemUTC())) {
      Puller.Result r = puller.pull(image);
      out.println(summary(r));
      out.flush();
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

  static String line(LayerResult l) {
    String what = switch (l.outcome()) {
      case LAZY -> "lazy       ";
      case DOWNLOADED -> "downloaded ";
      case EXISTS -> "exists     ";
      case EXISTS_LAZY -> "exists lazy";
    };
    return String.format(Locale.ROOT, "layer %d %s %s %s (%s fetched) %d ms", l.index(),
        l.layer().digest().hex().substring(0, 12), what, ConvertCommand.mib(l.layer().size()),
        ConvertCommand.mib(l.bytesDownloaded()), l.elapsed().toMillis());
  }

  /** containerd and registry options shared by {@code pull} and {@code run}. */
  static final class Target {
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

    @Option(names = "--plain-http", split = ",", paramLabel = "HOST[:PORT]",
        description = "registries reached over plain HTTP")
    List<String> plainHttp = new ArrayList<>();

    @Option(names = "--hosts-dir", paramLabel = "DIR",
        description = "containerd-style hosts directory (mirrors, CAs, skip_verify)")
    Path hostsDir;

    RegistryClient registryClient() {
      return RegistryClient.builder()
          .credentials(DockerConfigStore.fromEnvironment())
          .hostsDir(hostsDir)
          .plainHttp(plainHttp.toArray(String[]::new))
          .build();
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

  /** One line per event, for pipes and CI logs. */
  static final class LineProgress implements Progress {
    private final PrintWriter out;

    LineProgress(PrintWriter out) {
      this.out = out;
    }

    @Override
    public void resolved(String name, Descriptor manifest, int layers, long bytes) {
      out.println("resolved " + name + " " + manifest.digest() + ": " + layers + " layers, "
          + ConvertCommand.mib(bytes));
      out.flush();
    }

    @Override
    public void layerDone(LayerResult r) {
      out.println(line(r));
      out.flush();
    }

    @Override
    public void step(String message) {
      out.println(message);
      out.flush();
    }
  }

  /** Like {@link LineProgress}, plus a redrawn line with the running download. */
  static final class TerminalProgress implements Progress {
    private final LineProgress lines;
    private final PrintWriter out;
    private long lastDraw;

    TerminalProgress(PrintWriter out) {
      this.out = out;
      this.lines = new LineProgress(out);
    }

    @Override
    public void resolved(String name, Descriptor manifest, int layers, long bytes) {
      lines.resolved(name, manifest, layers, bytes);
    }

    @Override
    public void layerBytes(Descriptor layer, long read, long total) {
      long now = System.nanoTime();
      if (now - lastDraw < 100_000_000L) {
        return;
      }
      lastDraw = now;
      out.print(String.format(Locale.ROOT, "\r\033[K%s downloading %s / %s",
          layer.digest().hex().substring(0, 12), ConvertCommand.mib(read),
          ConvertCommand.mib(total)));
      out.flush();
    }

    @Override
    public void layerDone(LayerResult r) {
      out.print("\r\033[K");
      lines.layerDone(r);
    }

    @Override
    public void step(String message) {
      out.print("\r\033[K");
      lines.step(message);
    }
  }
}
