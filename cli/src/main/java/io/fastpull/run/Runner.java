package io.fastpull.run;

import io.fastpull.control.DaemonControl;
import io.fastpull.progress.Progress;
import io.fastpull.pull.LayerResult;
import io.fastpull.pull.PullException;
import io.fastpull.pull.Puller;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.PlainHttpHosts;
import io.fastpull.registry.RegistryClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Pulls an image and runs one container from it, measuring when each phase is reached (seconds
 * since the run began): {@code pull} (the image is in place), {@code start} (the container CLI
 * process is spawned), {@code first-log}, {@code ready} (the readiness URL answered 200), the
 * named log phases, and {@code exit}. Container output is copied to {@code out}, each line stamped with the elapsed
 * time. In lazy mode the fastpull daemon is then asked what each lazy layer fetched; a daemon
 * that cannot be asked gives a reason in the report instead, never a failed run.
 *
 * <p>One run per instance; not thread-safe. The registry client stays the caller's.
 */
public final class Runner {
  /** The phases every run measures (log phases may not reuse these names). */
  public static final List<String> BUILT_IN = List.of("pull", "start", "first-log", "ready",
      "exit");

  /** How the image is pulled and which snapshotter the container runs on. */
  public enum Mode {
    /** {@code fastpull pull} into the fastpull snapshotter. */
    LAZY,
    /** A full {@code ctr images pull} into containerd's overlayfs snapshotter, for comparison. */
    NORMAL
  }

  /**
   * @param image the image reference as given
   * @param command the command to run instead of the image's (empty: the image's own)
   * @param mode lazy or normal
   * @param pull where containerd is and how to pull (its snapshotter is used in lazy mode)
   * @param plainHttp registries reached over plain HTTP (for the normal mode's ctr pull)
   * @param hostsDir containerd-style hosts directory (for the normal mode's ctr pull)
   * @param hostNetwork run in the host's network namespace
   * @param readinessUrl a URL polled until it answers 200
   * @param readinessTimeout how long to poll it
   * @param stopWhenReady kill the container once it is ready (for servers that never exit)
   * @param phases log phases, matched on each line until first found
   * @param timeout kill the container after this long
   * @param snapshotterSocket the fastpull daemon's socket, asked for per-layer stats (lazy mode)
   * @param stopAt kill the container when this log phase (one of {@code phases}) is reached
   */
  public record Options(String image, List<String> command, Mode mode, Puller.Options pull,
      List<String> plainHttp, Optional<Path> hostsDir, boolean hostNetwork,
      Optional<URI> readinessUrl, Duration readinessTimeout, boolean stopWhenReady,
      List<PhaseRule> phases, Optional<Duration> timeout, Path snapshotterSocket,
      Optional<String> stopAt) {
    public Options {
      Objects.requireNonNull(image, "image");
      command = List.copyOf(command);
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(pull, "pull");
      plainHttp = List.copyOf(plainHttp);
      PlainHttpHosts.parse(plainHttp);
      Objects.requireNonNull(hostsDir, "hostsDir");
      Objects.requireNonNull(readinessUrl, "readinessUrl");
      if (readinessTimeout == null || readinessTimeout.isNegative()) {
        throw new IllegalArgumentException("readiness timeout " + readinessTimeout
            + " must not be negative");
      }
      if (stopWhenReady && readinessUrl.isEmpty()) {
        throw new IllegalArgumentException("stopping when ready needs a readiness URL");
      }
      phases = List.copyOf(phases);
      Set<String> names = new HashSet<>(BUILT_IN);
      for (PhaseRule p : phases) {
        if (!names.add(p.name())) {
          throw new IllegalArgumentException("phase name '" + p.name() + "' is used twice or "
              + "is a built-in phase");
        }
      }
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(snapshotterSocket, "snapshotterSocket");
      Objects.requireNonNull(stopAt, "stopAt");
      if (stopAt.isPresent()
          && phases.stream().noneMatch(p -> p.name().equals(stopAt.get()))) {
        throw new IllegalArgumentException("stop phase '" + stopAt.get()
            + "' is not one of the log phases " + phases.stream().map(PhaseRule::name).toList());
      }
    }

    /**
     * Lazy mode, the image's command, host network, no readiness, no phases, no timeout, the
     * daemon's default socket.
     */
    public static Options of(String image, Puller.Options pull) {
      return new Options(image, List.of(), Mode.LAZY, pull, List.of(), Optional.empty(), true,
          Optional.empty(), Duration.ofMinutes(2), false, List.of(), Optional.empty(),
          DaemonControl.DEFAULT_SOCKET, Optional.empty());
    }

    public Options withSnapshotterSocket(Path socket) {
      return new Options(image, command, mode, pull, plainHttp, hostsDir, hostNetwork,
          readinessUrl, readinessTimeout, stopWhenReady, phases, timeout, socket, stopAt);
    }

    /** Adds log phase {@code rule} and kills the container when it is reached. */
    public Options withStopAt(PhaseRule rule) {
      List<PhaseRule> p = new ArrayList<>(phases);
      p.add(rule);
      return new Options(image, command, mode, pull, plainHttp, hostsDir, hostNetwork,
          readinessUrl, readinessTimeout, stopWhenReady, p, timeout, snapshotterSocket,
          Optional.of(rule.name()));
    }
  }

  /** Called between the pull and the container start (lazy mode only). */
  @FunctionalInterface
  public interface PullHook {
    /** @throws IOException to abort the run before the container starts */
    void pulled(Puller.Result result) throws IOException;
  }

  private final RegistryClient registry;
  private final Options options;
  private final PrintWriter out;
  private final Clock clock;
  private final String path;
  private PullHook pullHook = r -> {};

  /** @param path the PATH to look for nerdctl in (ctr otherwise) */
  public Runner(RegistryClient registry, Options options, PrintWriter out, Clock clock,
      String path) {
    this.registry = registry;
    this.options = options;
    this.out = out;
    this.clock = clock;
    this.path = path;
  }

  /** Sets what runs between the lazy pull and the container start; returns this. */
  public Runner onPulled(PullHook hook) {
    this.pullHook = Objects.requireNonNull(hook, "hook");
    return this;
  }

  /**
   * Pulls, runs and reports. The report is complete when this returns; the container has exited
   * (and was removed).
   *
   * @throws PullException when the lazy pull fails
   * @throws IOException when the normal pull fails or the container CLI cannot be started
   */
  public Report run() throws IOException, InterruptedException {
    Timeline timeline = new Timeline(clock);
    String image;
    try {
      image = ImageReference.parse(options.image()).toString();
    } catch (IllegalArgumentException e) {
      throw new PullException(PullException.Kind.INVALID_ARGUMENT, e.getMessage(), e);
    }
    Launcher launcher = Launcher.detect(path);
    Puller.Options po = options.pull();
    String snapshotter = options.mode() == Mode.LAZY ? po.snapshotter() : "overlayfs";
    Map<String, Long> pullFacts = new LinkedHashMap<>();
    Puller.Result pulled = null;
    if (options.mode() == Mode.LAZY) {
      try (Puller puller = Puller.open(registry, po, new StampedProgress(timeline), clock)) {
        Puller.Result r = puller.pull(image);
        pulled = r;
        pullFacts.put("layers", (long) r.layers().size());
        pullFacts.put("lazyLayers", r.count(LayerResult.Outcome.LAZY));
        pullFacts.put("downloadedLayers", r.count(LayerResult.Outcome.DOWNLOADED));
        pullFacts.put("bytesDownloaded", r.bytesDownloaded());
        pullFacts.put("layerBytes", r.layerBytes());
      }
    } else {
      boolean plain = PlainHttpHosts.parse(options.plainHttp())
          .matches(ImageReference.parse(image).registry());
      int rc = stream(launcher.pull(po.address(), po.namespace(), snapshotter, image, plain,
          options.hostsDir()), timeline, false);
      if (rc != 0) {
        throw new IOException(launcher.program + " could not pull " + image + " (exit " + rc
            + "); see its output above");
      }
    }
    timeline.mark("pull");
    if (pulled != null) {
      pullHook.pulled(pulled);
    }

    String id = "fastpull-run-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
    List<String> argv = launcher.run(po.address(), po.namespace(), snapshotter, image, id,
        options.hostNetwork(), options.command());
    int exit = stream(argv, timeline, true, launcher, id);
    DaemonLayers.Stats stats = pulled == null ? DaemonLayers.Stats.NONE
        : DaemonLayers.query(options.snapshotterSocket(), po.namespace(), pulled);
    Report report = new Report(options.image(), options.mode(), snapshotter, launcher.program,
        id, exit, timeline.timings(), pullFacts, stats.layers(), stats.unavailable().orElse(null),
        timeline.startMillis());
    out.println();
    out.print(report.table());
    out.print(report.layerTable());
    out.flush();
    return report;
  }

  private int stream(List<String> argv, Timeline timeline, boolean container)
      throws IOException, InterruptedException {
    return stream(argv, timeline, container, null, null);
  }

  /** Runs argv, copying its merged output with stamps; returns its exit code. */
  private int stream(List<String> argv, Timeline timeline, boolean container, Launcher launcher,
      String id) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(argv).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.PIPE).start();
    } catch (IOException e) {
      throw new IOException("cannot start " + argv.get(0) + ": " + e.getMessage()
          + " (is it installed?)", e);
    }
    p.getOutputStream().close();
    Readiness readiness = null;
    Thread watchdog = null;
    Thread stopper = null;
    try {
      if (container) {
        timeline.mark("start");
        Process proc = p;
        Runnable kill = () -> kill(launcher, id);
        if (options.readinessUrl().isPresent()) {
          readiness = Readiness.start(options.readinessUrl().get(), options.readinessTimeout(),
              timeline, () -> !proc.isAlive(), options.stopWhenReady() ? kill : () -> {});
        }
        if (options.timeout().isPresent()) {
          watchdog = watchdog(proc, options.timeout().get(), kill);
        }
      }
      try (BufferedReader r = new BufferedReader(
          new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (container) {
            timeline.mark("first-log");
            for (PhaseRule rule : options.phases()) {
              if (!timeline.has(rule.name()) && rule.matches(line)) {
                timeline.mark(rule.name());
                if (options.stopAt().equals(Optional.of(rule.name()))) {
                  stopper = stopper != null ? stopper : stop(launcher, id, rule.name());
                }
              }
            }
          }
          print(timeline, line);
        }
      }
      int rc = p.waitFor();
      if (container) {
        timeline.mark("exit");
      }
      return rc;
    } finally {
      if (readiness != null) {
        readiness.close();
      }
      if (watchdog != null) {
        watchdog.interrupt();
      }
      if (stopper != null) {
        stopper.join(TimeUnit.SECONDS.toMillis(35));
      }
      if (p.isAlive()) {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }

  private Thread watchdog(Process p, Duration timeout, Runnable kill) {
    Thread t = new Thread(() -> {
      try {
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          synchronized (out) {
            out.println("fastpull run: timeout after " + timeout.toSeconds()
                + " s, killing the container");
            out.flush();
          }
          kill.run();
        }
      } catch (InterruptedException e) {
        // the container exited first
      }
    }, "fastpull-run-timeout");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Kills the container on its own thread, so its remaining output keeps being read. */
  private Thread stop(Launcher launcher, String id, String phase) {
    synchronized (out) {
      out.println("fastpull run: phase " + phase + " reached, stopping the container");
      out.flush();
    }
    Thread t = new Thread(() -> kill(launcher, id), "fastpull-run-stop");
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void kill(Launcher launcher, String id) {
    Puller.Options po = options.pull();
    try {
      Process k = new ProcessBuilder(launcher.kill(po.address(), po.namespace(), id))
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!k.waitFor(30, TimeUnit.SECONDS)) {
        k.destroyForcibly();
      }
    } catch (IOException e) {
      synchronized (out) {
        out.println("fastpull run: could not kill " + id + ": " + e.getMessage());
        out.flush();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void print(Timeline timeline, String line) {
    synchronized (out) {
      out.println(String.format(Locale.ROOT, "[%8.3fs] %s",
          timeline.elapsedMillis() / 1000.0, line));
      out.flush();
    }
  }

  /** Pull progress as stamped lines. */
  private final class StampedProgress implements Progress<LayerResult> {
    private final Timeline timeline;

    StampedProgress(Timeline timeline) {
      this.timeline = timeline;
    }

    @Override
    public void layerDone(Descriptor layer, LayerResult r) {
      print(timeline, String.format(Locale.ROOT, "fastpull: layer %d %s %s (%d bytes fetched)",
          r.index(), r.layer().digest().hex().substring(0, 12),
          r.outcome().name().toLowerCase(Locale.ROOT), r.bytesDownloaded()));
    }
  }
}
