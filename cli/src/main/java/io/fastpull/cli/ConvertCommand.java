package io.fastpull.cli;

import io.fastpull.convert.Converter;
import io.fastpull.convert.LayerStats;
import io.fastpull.progress.LineProgress;
import io.fastpull.progress.Progress;
import io.fastpull.progress.TerminalProgress;
import io.fastpull.progress.Units;
import io.fastpull.registry.Platform;
import io.fastpull.registry.RegistryClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastpull convert}: turn an image into a lazy image in a registry. */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = {"Convert an image into a fastpull lazy image and push it to a registry.",
        "SOURCE is a registry reference (optionally docker://REF), oci:DIR[:TAG] (an OCI "
            + "layout) or docker-archive:FILE (docker save); TARGET is a registry reference "
            + "(without a tag: :latest, with a notice), written last, after the target was "
            + "checked to take a push and every layer was converted."})
final class ConvertCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SOURCE")
  String source;

  @Parameters(index = "1", paramLabel = "TARGET")
  String target;

  @Option(names = "--chunk-size", description = "bytes per chunk, a power of two "
      + "(default ${DEFAULT-VALUE})", defaultValue = "1048576")
  int chunkSize;

  @Option(names = "--level", description = "zstd level (default ${DEFAULT-VALUE})",
      defaultValue = "3")
  int level;

  @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
      description = "convert only this platform of an index (default: all)")
  String platform;

  @Option(names = "--merge-index", description = "publish one index holding the original "
      + "manifests and, after them, the lazy ones (one tag for nodes with and without fastpull)")
  boolean mergeIndex;

  @Mixin RegistryOptions registry = new RegistryOptions();

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "where each run makes its own directory (fastpull-convert-PID-START) for "
          + "lazy blobs waiting for upload, removed when it ends, even by SIGTERM or SIGINT, and "
          + "at the next run after a kill -9 (default: the temp dir, java.io.tmpdir)")
  Path workDir;

  @Option(names = "--jobs", description = "layers converted at once (default: cores, max 4)")
  Integer jobs;

  @Option(names = "--threads", description = "compression threads (default: cores)")
  Integer threads;

  @Override
  public Integer call() throws IOException {
    Converter.Options d = Converter.Options.defaults(workDir != null ? workDir
        : Path.of(System.getProperty("java.io.tmpdir")));
    Converter.Options o;
    try {
      o = new Converter.Options(chunkSize, level,
          platform == null ? Optional.empty() : Optional.of(Platform.parse(platform)), mergeIndex,
          d.workDir(), jobs != null ? jobs : d.jobs(), threads != null ? threads : d.threads());
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    // System.console() is null unless stdin and stdout are both a terminal.
    TerminalProgress<LayerStats> terminal = System.console() != null
        ? new TerminalProgress<>(out, ConvertCommand::summary, Clock.systemUTC()) : null;
    Progress<LayerStats> progress = terminal != null ? terminal
        : new LineProgress<>(out, ConvertCommand::summary);
    // SIGTERM or Ctrl-C: the JVM runs its hooks (WorkDir removes the blobs), this one says so.
    Thread interrupted = new Thread(() -> {
      if (terminal != null) {
        terminal.close();
      }
      spec.commandLine().getErr().println("fastpull: convert stopped before it finished: "
          + "nothing was tagged, its work files are removed");
      spec.commandLine().getErr().flush();
    }, "convert-interrupted");
    Runtime.getRuntime().addShutdownHook(interrupted);
    try (RegistryClient client = registry.client()) {
      Converter.Result r = new Converter(client, o, progress, Clock.systemUTC())
          .convert(source, target);
      if (terminal != null) {
        terminal.close();
      }
      out.printf(Locale.ROOT, "%s %s %s (%d manifest(s), %.1f s)%n", r.target(), r.digest(),
          r.mediaType(), r.images().size(), r.elapsed().toMillis() / 1000.0);
      out.flush();
    } finally {
      if (terminal != null) {
        terminal.close();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(interrupted);
      } catch (IllegalStateException shuttingDown) {
        // The hook runs: the JVM is stopping under us.
      }
    }
    return 0;
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  /** A converted layer as progress shows it: what was read, and the lazy blob it became. */
  static Progress.Summary summary(LayerStats s) {
    return new Progress.Summary(s.sourceSize(), s.convertTime().plus(s.pushTime()),
        String.format(Locale.ROOT, "-> %s %s, %d chunks (%d deduplicated), convert %.2f s, %s",
            s.blob(), Units.bytes(s.blobSize()), s.chunks(), s.dedupedChunks(),
            s.convertTime().toMillis() / 1000.0, s.uploaded()
                ? String.format(Locale.ROOT, "push %.2f s", s.pushTime().toMillis() / 1000.0)
                : "already in the target"));
  }
}
