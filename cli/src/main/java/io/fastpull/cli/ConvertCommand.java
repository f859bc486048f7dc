package io.fastpull.cli;

import io.fastpull.convert.Converter;
import io.fastpull.convert.LayerStats;
import io.fastpull.convert.Progress;
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
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastpull convert}: turn an image into a lazy image in a registry. */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = {"Convert an image into a fastpull lazy image and push it to a registry.",
        "SOURCE is a registry reference (optionally docker://REF), oci:DIR[:TAG] (an OCI "
            + "layout) or docker-archive:FILE (docker save); TARGET is a registry reference "
            + "with a tag, written last."})
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

  @Option(names = "--plain-http", split = ",", paramLabel = "HOST[:PORT]",
      description = "registries reached over plain HTTP")
  List<String> plainHttp = new ArrayList<>();

  @Option(names = "--hosts-dir", paramLabel = "DIR",
      description = "containerd-style hosts directory (mirrors, CAs, skip_verify)")
  Path hostsDir;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "where lazy blobs are written before upload (default: the temp dir)")
  Path workDir;

  @Option(names = "--jobs", description = "layers converted at once (default: cores, max 4)")
  Integer jobs;

  @Option(names = "--threads", description = "compression threads (default: cores)")
  Integer threads;

  @Override
  public Integer call() throws IOException {
    Converter.Options d = Converter.Options.defaults(workDir != null ? workDir
        : Path.of(System.getProperty("java.io.tmpdir"), "fastpull-convert"));
    Converter.Options o;
    try {
      o = new Converter.Options(chunkSize, level,
          platform == null ? Optional.empty() : Optional.of(Platform.parse(platform)), mergeIndex,
          d.workDir(), jobs != null ? jobs : d.jobs(), threads != null ? threads : d.threads());
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    Progress progress = System.console() != null ? new TerminalProgress(out) : new LineProgress(out);
    try (RegistryClient client = RegistryClient.builder()
        .credentials(DockerConfigStore.fromEnvironment())
        .hostsDir(hostsDir)
        .plainHttp(plainHttp.toArray(String[]::new))
        .build()) {
      Converter.Result r = new Converter(client, o, progress, Clock.systemUTC())
          .convert(source, target);
      out.printf(Locale.ROOT, "%s %s %s (%d manifest(s), %.1f s)%n", r.target(), r.digest(),
          r.mediaType(), r.images().size(), r.elapsed().toMillis() / 1000.0);
      out.flush();
    }
    return 0;
  }

  static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  static String done(Descriptor layer, LayerStats s) {
    return String.format(Locale.ROOT, "layer %s: %s -> %s %s, %d chunks (%d deduplicated), "
            + "convert %d ms, push %d ms%s", layer.digest(), mib(s.sourceSize()), s.blob(),
        mib(s.blobSize()), s.chunks(), s.dedupedChunks(), s.convertTime().toMillis(),
        s.pushTime().toMillis(), s.uploaded() ? "" : " (already there)");
  }

  /** One log line per event, for pipes and CI logs. */
  static final class LineProgress implements Progress {
    private final PrintWriter out;

    LineProgress(PrintWriter out) {
      this.out = out;
    }

    @Override
    public synchronized void layerStarted(Descriptor layer) {
      out.println("layer " + layer.digest() + ": converting " + mib(layer.size()));
      out.flush();
    }

    @Override
    public synchronized void layerDone(Descriptor layer, LayerStats s) {
      out.println(done(layer, s));
      out.flush();
    }

    @Override
    public synchronized void step(String message) {
      out.println(message);
      out.flush();
    }
  }

  /** Byte progress of every running layer on one redrawn line; finished work as log lines. */
  static final class TerminalProgress implements Progress {
    private final PrintWriter out;
    private final Map<Descriptor, Long> running = new ConcurrentHashMap<>();
    private long lastDraw;

    TerminalProgress(PrintWriter out) {
      this.out = out;
    }

    @Override
    public void layerStarted(Descriptor layer) {
      running.put(layer, 0L);
      draw(true);
    }

    @Override
    public void layerBytes(Descriptor layer, long read) {
      running.put(layer, read);
      draw(false);
    }

    @Override
    public synchronized void layerDone(Descriptor layer, LayerStats s) {
      running.remove(layer);
      out.print("\r\033[K" + done(layer, s) + "\n");
      draw(true);
    }

    @Override
    public synchronized void step(String message) {
      out.print("\r\033[K" + message + "\n");
      out.flush();
    }

    private synchronized void draw(boolean force) {
      long now = System.nanoTime();
      if (!force && now - lastDraw < 100_000_000L) {
        return;
      }
      lastDraw = now;
      StringBuilder b = new StringBuilder("\r\033[K");
      running.forEach((l, read) -> b.append(String.format(Locale.ROOT, "%s %3d%%  ",
          l.digest().hex().substring(0, 12), l.size() == 0 ? 100 : read * 100 / l.size())));
      out.print(b);
      out.flush();
    }
  }
}
