package io.fastpull.record;

import io.fastpull.control.ControlException;
import io.fastpull.control.DaemonControl;
import io.fastpull.control.LayerActivity;
import io.fastpull.profile.StartupProfile;
import io.fastpull.pull.LayerResult;
import io.fastpull.pull.Puller;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import io.fastpull.run.Report;
import io.fastpull.run.Runner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records a startup profile: lazily pulls the image and runs one container from it (through
 * {@link Runner}), with the access traces of its lazy layers reset and the kernel's clean page
 * cache dropped just before the container starts, so every file read reaches the daemon's FUSE
 * layers and lands in their traces. Afterwards the traces become a {@link StartupProfile} (lazy
 * layers with reads, in image layer order), written to a file and/or pushed as a referrer of the
 * image manifest the pull resolved.
 *
 * <p>One recording per instance; not thread-safe. The registry client stays the caller's.
 */
public final class Recorder {
  private static final Logger log = LoggerFactory.getLogger(Recorder.class);
  /** Writing "1" here makes the kernel drop clean page-cache pages (root only). */
  static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

  /**
   * @param run how to pull and run the image (lazy mode; its snapshotter socket is the daemon
   *     asked for traces)
   * @param push push the profile to the image's repository
   * @param output also write the profile JSON to this file
   */
  public record Options(Runner.Options run, boolean push, Optional<Path> output) {
    public Options {
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(output, "output");
      if (run.mode() != Runner.Mode.LAZY) {
        throw new IllegalArgumentException("recording needs a lazy run, not " + run.mode());
      }
      if (!push && output.isEmpty()) {
        throw new IllegalArgumentException("not pushing and no output file: the profile would "
            + "go nowhere");
      }
    }
  }

  /**
   * @param profile what was recorded
   * @param subject the image manifest it was recorded for
   * @param referrer the pushed referrer manifest, when pushed
   * @param run the run's report
   */
  public record Result(StartupProfile profile, Descriptor subject, Optional<Descriptor> referrer,
      Report run) {}

  private final RegistryClient registry;
  private final Options options;
  private final PrintWriter out;
  private final Clock clock;
  private final String path;

  /** @param path the PATH the runner looks for nerdctl in (ctr otherwise) */
  public Recorder(RegistryClient registry, Options options, PrintWriter out, Clock clock,
      String path) {
    this.registry = registry;
    this.options = options;
    this.out = out;
    this.clock = clock;
    this.path = path;
  }

  /**
   * Pulls, runs, collects the traces and stores the profile.
   *
   * @throws io.fastpull.control.ControlException when the daemon cannot be asked (before
   *     anything is pulled)
   * @throws RecordException NOT_LAZY or NOTHING_RECORDED
   * @throws IOException when the pull, the run or the push fails
   */
  public Result record() throws IOException, InterruptedException {
    Path socket = options.run().snapshotterSocket();
    try (DaemonControl control = DaemonControl.open(socket)) {
      control.layers(); // fails here, before any pull, if the daemon cannot be asked
      Map<String, LayerActivity> lazy = new LinkedHashMap<>();
      Puller.Result[] pulled = new Puller.Result[1];
      Report report = new Runner(registry, options.run(), out, clock, path).onPulled(r -> {
        pulled[0] = r;
        lazy.putAll(mountedLazyLayers(control, r));
        control.resetTraces(lazy.keySet());
        dropPageCache();
        step("traces of " + lazy.size() + " lazy layer(s) reset, page cache dropped; "
            + "starting the container");
      }).run();
      Map<String, int[]> traces = traces(control, pulled[0], lazy.keySet());
      StartupProfile profile = profile(pulled[0], traces);
      if (profile.layers().isEmpty()) {
        throw new RecordException(RecordException.Kind.NOTHING_RECORDED, "the container read "
            + "nothing from the lazy layers of " + pulled[0].name() + " (exit code "
            + report.exitCode() + "); nothing stored. Check its output above, or give the "
            + "command that starts it after --");
      }
      if (options.output().isPresent()) {
        write(options.output().get(), profile.toJson());
      }
      Descriptor subject = pulled[0].manifest();
      Optional<Descriptor> referrer = Optional.empty();
      if (options.push()) {
        ImageReference repo = ImageReference.parse(options.run().image());
        referrer = Optional.of(registry.pushReferrer(repo, subject,
            StartupProfile.ARTIFACT_TYPE, StartupProfile.MEDIA_TYPE, profile.toJson(), Map.of()));
        log.info("startup profile pushed image={} subject={} referrer={}", pulled[0].name(),
            subject.digest(), referrer.get().digest());
      }
      Result result = new Result(profile, subject, referrer, report);
      summary(pulled[0], lazy, result);
      return result;
    }
  }

  /** The daemon's view of the image's layers it mounted lazily, base first. */
  private static Map<String, LayerActivity> mountedLazyLayers(DaemonControl control,
      Puller.Result pulled) throws IOException {
    List<String> digests = pulled.layers().stream()
        .filter(l -> l.outcome().lazy())
        .map(l -> l.layer().digest().toString()).distinct().toList();
    Map<String, LayerActivity> mounted = new LinkedHashMap<>();
    for (LayerActivity a : control.layers()) {
      mounted.put(a.blobDigest(), a);
    }
    Map<String, LayerActivity> ordered = new LinkedHashMap<>();
    for (String d : digests) {
      if (mounted.containsKey(d)) {
        ordered.put(d, mounted.get(d));
      }
    }
    if (ordered.isEmpty()) {
      throw new RecordException(RecordException.Kind.NOT_LAZY, pulled.name() + " has no layer "
          + "the fastpull daemon at " + control.socket() + " mounted lazily ("
          + pulled.layers().stream().map(l -> l.outcome().name().toLowerCase(Locale.ROOT))
          .toList() + "): convert it with `fastpull convert` and record the converted image");
    }
    return ordered;
  }

  /**
   * The traces of the layers mounted. A layer may have no mount (when an ordinary unpacked copy
   * of it from another namespace stands in, containerd uses that copy) or lose it meanwhile; the
   * reads of such a layer are not recorded, which is said, not fatal.
   */
  private Map<String, int[]> traces(DaemonControl control, Puller.Result pulled,
      Set<String> lazy) throws IOException {
    Map<String, int[]> traces = new LinkedHashMap<>();
    List<String> gone = new ArrayList<>();
    for (String d : lazy) {
      // one at a time: a layer unmounted meanwhile must not cost the others
      try {
        traces.putAll(control.traces(List.of(d)));
      } catch (ControlException e) {
        if (e.kind() != ControlException.Kind.NOT_FOUND) {
          throw e;
        }
        gone.add(d);
      }
    }
    if (!gone.isEmpty()) {
      step("warning: " + gone.size() + " lazy layer(s) of " + pulled.name() + " were unmounted "
          + "during the run, their reads are not recorded: " + gone);
    }
    return traces;
  }

  /** The lazy layers with reads, in image layer order, each once. */
  static StartupProfile profile(Puller.Result pulled, Map<String, int[]> traces) {
    List<StartupProfile.Layer> layers = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (LayerResult l : pulled.layers()) {
      String d = l.layer().digest().toString();
      int[] chunks = traces.get(d);
      if (chunks != null && chunks.length > 0 && !seen.contains(d)) {
        seen.add(d);
        layers.add(new StartupProfile.Layer(d, chunks));
      }
    }
    return new StartupProfile(StartupProfile.SCHEMA_VERSION,
        pulled.manifest().digest().toString(), layers);
  }

  /**
   * Drops clean page-cache pages, so files the layers served before (pages the kernel kept)
   * are read through FUSE again and traced. Without root this only warns: layers mounted just
   * now have nothing cached anyway.
   */
  private void dropPageCache() {
    try {
      Files.writeString(DROP_CACHES, "1", StandardCharsets.US_ASCII);
    } catch (IOException e) {
      step("warning: cannot drop the page cache (" + e.getMessage() + "; needs root): reads "
          + "the kernel serves from it are not recorded");
    }
  }

  private void summary(Puller.Result pulled, Map<String, LayerActivity> lazy, Result r) {
    Map<String, Integer> index = new LinkedHashMap<>();
    for (LayerResult l : pulled.layers()) {
      index.putIfAbsent(l.layer().digest().toString(), l.index());
    }
    StringBuilder b = new StringBuilder();
    b.append("\nstartup profile of ").append(pulled.name()).append(' ')
        .append(r.subject().digest()).append(":\n");
    long total = 0;
    for (StartupProfile.Layer l : r.profile().layers()) {
      int n = l.chunks().length;
      total += n;
      b.append(String.format(Locale.ROOT, "layer %d %s: %d chunks recorded (of %d)%n",
          index.get(l.digest()), l.digest().substring(7, 19), n,
          lazy.get(l.digest()).chunkCount()));
    }
    b.append(String.format(Locale.ROOT, "total: %d chunks in %d of %d lazy layers%s%n", total,
        r.profile().layers().size(), lazy.size(),
        options.output().map(p -> ", written to " + p).orElse("")));
    if (r.referrer().isPresent()) {
      b.append("pushed startup profile ").append(r.referrer().get().digest())
          .append(" as a referrer of ").append(pulled.name()).append('@')
          .append(r.subject().digest()).append('\n');
    }
    out.print(b);
    out.flush();
  }

  private void step(String message) {
    synchronized (out) {
      out.println("fastpull record: " + message);
      out.flush();
    }
  }

  /** Writes to a temp file beside {@code file}, then renames it over. */
  private static void write(Path file, byte[] bytes) throws IOException {
    Path abs = file.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
    try {
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
