package io.fastpull.daemon;

import io.fastpull.grpc.SnapshotsServer;
import io.fastpull.meta.MetaStore;
import io.fastpull.metrics.MetricsRegistry;
import io.fastpull.metrics.MetricsServer;
import io.fastpull.remote.LazyLayers;
import io.fastpull.snapshot.LayerMounter;
import io.fastpull.snapshot.RemoteLayerPolicy;
import io.fastpull.snapshot.Snapshotter;
import io.fastpull.systemd.ServiceNotifier;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fastpull snapshotter daemon: containerd's snapshots API on a Unix socket.
 *
 * <p>Lifecycle: {@link #start} opens the metadata, runs restart recovery (remounting committed
 * remote layers), starts metrics and then serving; {@link #close()} stops accepting calls, lets
 * in-flight calls finish (up to {@code shutdown_timeout}), unmounts remote layers and closes the
 * metadata. {@code close} is idempotent and thread-safe; {@link #awaitTermination()} returns once
 * it has finished.
 */
public final class SnapshotterDaemon implements AutoCloseable {
  private final DaemonConfig config;
  private final MetricsRegistry metrics;
  private final List<AutoCloseable> resources; // closed in reverse order
  private final SnapshotsServer server;
  private final Optional<MetricsServer> metricsServer;
  private final CountDownLatch terminated = new CountDownLatch(1);
  private boolean closed;

  private SnapshotterDaemon(
      DaemonConfig config,
      MetricsRegistry metrics,
      List<AutoCloseable> resources,
      SnapshotsServer server,
      Optional<MetricsServer> metricsServer) {
    this.config = config;
    this.metrics = metrics;
    this.resources = resources;
    this.server = server;
    this.metricsServer = metricsServer;
  }

  /** Starts a daemon whose layer mounter declines every layer (ordinary unpacking only). */
  public static SnapshotterDaemon start(DaemonConfig config) throws IOException {
    return builder(config).start();
  }

  public static Builder builder(DaemonConfig config) {
    return new Builder(config);
  }

  /** Optional collaborators of a daemon. Not thread-safe. */
  public static final class Builder {
    private final DaemonConfig config;
    /** Null: built from the configuration (lazy layers on, or none). */
    private LayerMounter mounter;
    private RemoteLayerPolicy policy = RemoteLayerPolicy.labelled();
    private MetricsRegistry metrics = new MetricsRegistry();
    private Clock clock = Clock.systemUTC();

    private Builder(DaemonConfig config) {
      this.config = config;
    }

    public Builder layerMounter(LayerMounter mounter) {
      this.mounter = mounter;
      return this;
    }

    public Builder remoteLayerPolicy(RemoteLayerPolicy policy) {
      this.policy = policy;
      return this;
    }

    /** A registry shared with other modules, so their metrics are served too. */
    public Builder metrics(MetricsRegistry metrics) {
      this.metrics = metrics;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Starts serving.
     *
     * @throws IOException if the root, metadata, socket or metrics address cannot be used; nothing
     *     stays open then
     */
    public SnapshotterDaemon start() throws IOException {
      return SnapshotterDaemon.start(this);
    }
  }

  private static SnapshotterDaemon start(Builder b) throws IOException {
    Logger log = log();
    DaemonConfig config = b.config;
    List<AutoCloseable> resources = new ArrayList<>();
    try {
      if (b.mounter == null && config.lazy()) {
        StartChecks.canMountFuse();
      }
      // Locked before anything in it is read or changed; released last (resources close in
      // reverse order), after every layer is unmounted.
      resources.add(StartChecks.root(config.root()));
      StartChecks.socketDirectory(config.socket());
      MetaStore store = MetaStore.open(config.root().resolve("metadata.db"));
      resources.add(store);
      LayerMounter mounter = b.mounter;
      // What the control service reports: the FUSE mounter's layers (an injected mounter's
      // too, when it is one).
      LazyLayers lazyLayers = mounter instanceof LazyLayers l ? l : LazyLayers.none();
      RemoteStack remoteStack = null;
      if (mounter == null && config.lazy()) {
        RemoteStack remote = RemoteStack.open(config, b.clock, b.metrics);
        resources.add(remote); // closed after the snapshotter, which unmounts its layers first
        mounter = remote.mounter();
        lazyLayers = remote.mounter();
        remoteStack = remote;
      } else if (mounter == null) {
        mounter = LayerMounter.none();
      }
      Snapshotter snapshotter =
          Snapshotter.overlay(config.root(), store, mounter, b.policy, b.clock);
      resources.add(snapshotter);
      snapshotter.recover();
      b.metrics.gauge(
          "fastpull_mounted_layers", "Remote layers currently mounted.", snapshotter::mountedLayers);
      b.metrics.gaugeFamily("fastpull_build_info", "The fastpull build serving (always 1).",
          () -> Map.of(List.of(BuildInfo.current().version(), BuildInfo.current().commit()), 1L),
          "version", "commit");
      Optional<MetricsServer> metricsServer = Optional.empty();
      if (config.metricsAddress().isPresent()) {
        MetricsServer ms = MetricsServer.start(config.metricsAddress().get(), b.metrics);
        resources.add(ms);
        metricsServer = Optional.of(ms);
      }
      ExecutorService executor = Executors.newFixedThreadPool(8, new Named("fastpull-grpc"));
      resources.add(executor::shutdownNow);
      SnapshotsServer server =
          SnapshotsServer.start(
              config.socket(), config.socketGroup(), snapshotter, lazyLayers, b.metrics, executor,
              config.shutdownTimeout(), b.clock);
      resources.add(server);
      log.info(
          "daemon started version={} commit={} root={} socket={} metrics={}",
          BuildInfo.current().version(),
          BuildInfo.current().commit(),
          config.root(),
          config.socket(),
          metricsServer.map(m -> m.address().toString()).orElse("disabled"));
      // Closed first (resources close in reverse): a warm-up still running is stopped and
      // waited for, so that it never works in a root that is being torn down.
      resources.add(startWarmUp(remoteStack, b.clock));
      return new SnapshotterDaemon(config, b.metrics, resources, server, metricsServer);
    } catch (IOException | RuntimeException e) {
      closeAll(resources, e);
      throw e;
    }
  }

  /**
   * Starts a short-lived background thread that does, once per process, the one-time work the
   * first lazy Prepare would otherwise do while containerd and the pull wait for it: loading
   * libfuse and generating jnr-fuse's native callback stubs, building the snapshots API's
   * protobuf descriptors (first needed to parse a request's labels map), building the registry
   * client's HTTP client with the JDK's default TLS context (used also for plain HTTP), loading
   * zstd's native library, and serving a scratch layer through FUSE until the read path is
   * compiled (see {@code LayerMounter.warmUp(Path)}): about 1 s of CPU in a fresh JVM, which a
   * daemon started at boot has long done before its first pull. It runs after the socket is
   * served, so it never delays readiness; a Prepare arriving meanwhile simply waits on the same class initialisation. A
   * failure is logged and otherwise ignored: the first mount does the same work and reports it.
   * The thread is a daemon thread and ends on its own; closing the returned handle asks it to
   * stop and waits (up to 10 s) for it to clean up its scratch mount.
   */
  private static AutoCloseable startWarmUp(RemoteStack remote, Clock clock) {
    AtomicBoolean stop = new AtomicBoolean();
    Thread t = new Thread(() -> {
      long start = clock.millis();
      try {
        io.fastpull.proto.containerd.snapshots.v1.SnapshotsProto.getDescriptor();
        if (remote != null) {
          remote.warmUp(stop::get);
        }
        log().info("warm-up done fuse={} ms={}", remote != null, clock.millis() - start);
      } catch (IOException | RuntimeException e) {
        log().warn("warm-up failed (the first lazy mount will retry it) error={}", e.toString());
      }
    }, "fastpull-warm-up");
    t.setDaemon(true);
    t.start();
    return () -> {
      stop.set(true);
      t.join(10_000);
    };
  }

  /** The metrics registry served by this daemon; other modules may add metrics to it. */
  public MetricsRegistry metrics() {
    return metrics;
  }

  /** The bound metrics address (with the real port), if metrics are enabled. */
  public Optional<InetSocketAddress> metricsAddress() {
    return metricsServer.map(MetricsServer::address);
  }

  public DaemonConfig config() {
    return config;
  }

  /** Blocks until {@link #close()} has finished. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    log().info("daemon stopping socket={}", config.socket());
    try {
      Exception failure = closeAll(resources, null);
      if (failure instanceof IOException) {
        throw (IOException) failure;
      }
      if (failure != null) {
        throw new IOException("daemon shutdown failed", failure);
      }
    } finally {
      log().info("daemon stopped socket={}", config.socket());
      terminated.countDown();
    }
  }

  /** Closes in reverse order; returns the first failure with the others suppressed. */
  private static Exception closeAll(List<AutoCloseable> resources, Exception first) {
    Exception failure = first;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    return failure;
  }

  /**
   * Command line: {@code [--config FILE] [--KEY VALUE]...}, one flag per {@link ConfigKey}. Runs
   * until SIGTERM/SIGINT, then shuts down gracefully. Exits 2 on bad arguments or configuration,
   * 1 if the daemon cannot start. Logs through whatever SLF4J backend is on the class path; the
   * {@code fastpull daemon} command sets up the level and format.
   */
  public static void main(String[] args) {
    DaemonConfig config;
    try {
      config = CommandLine.parse(args);
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("fastpull daemon: " + e.getMessage());
      System.err.println(CommandLine.USAGE);
      System.exit(2);
      return;
    }
    // slf4j-simple, when it is the backend, reads its level when the first logger is made
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
        config.logLevel().name().toLowerCase(java.util.Locale.ROOT));
    System.exit(run(config));
  }

  /**
   * Runs a daemon in the foreground until SIGTERM/SIGINT, then shuts it down gracefully (stop
   * accepting, finish calls, unmount). A start failure is printed as one line to stderr, naming
   * the cause and what to do; its stack trace is logged at debug.
   *
   * @return the process exit code: 0 after a clean shutdown, 1 if the daemon could not start
   */
  public static int run(DaemonConfig config) {
    SnapshotterDaemon daemon;
    try {
      daemon = start(config);
    } catch (IOException | RuntimeException e) {
      log().debug("start failed", e);
      System.err.println("fastpull daemon: cannot start: " + StartChecks.describe(e));
      return 1;
    }
    // systemd (Type=notify) counts the unit as started only now, with the socket served
    ServiceNotifier notifier = ServiceNotifier.fromEnvironment();
    notifier.ready("serving " + config.socket());
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      notifier.stopping("stopping: finishing calls, unmounting lazy layers");
      try {
        daemon.close();
      } catch (IOException e) {
        log().error("shutdown failed error={}", e.toString());
      }
    }, "fastpull-shutdown"));
    try {
      daemon.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  // not a static field: main must set the log level before the first logger exists
  private static Logger log() {
    return LoggerFactory.getLogger(SnapshotterDaemon.class);
  }

  private static final class Named implements java.util.concurrent.ThreadFactory {
    private final String prefix;
    private final AtomicInteger n = new AtomicInteger();

    Named(String prefix) {
      this.prefix = prefix;
    }

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }
}
