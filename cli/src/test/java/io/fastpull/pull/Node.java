package io.fastpull.pull;

import io.fastpull.daemon.Containerd;
import io.fastpull.daemon.DaemonConfig;
import io.fastpull.daemon.HostMounts;
import io.fastpull.daemon.SnapshotterDaemon;
import io.fastpull.format.ChildProcess;
import io.fastpull.registry.testing.FaultProxy;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * One test node, all parts real: Debian's registry behind a counting proxy, the fastpull daemon
 * with its FUSE mounter (lazy on), and a private containerd 1.6 (CRI off) with fastpull as a
 * proxy snapshotter, collecting garbage after every deletion. {@link #close()} stops what it
 * started, by PID, and unmounts what is left under its directory.
 */
public final class Node implements AutoCloseable {
  public final Path dir;
  public final LocalRegistry registry;
  public final FaultProxy proxy;
  private final SnapshotterDaemon daemon;
  private final Containerd containerd;
  public final Path address;

  private Node(Path dir, LocalRegistry registry, FaultProxy proxy, SnapshotterDaemon daemon,
      Containerd containerd) {
    this.dir = dir;
    this.registry = registry;
    this.proxy = proxy;
    this.daemon = daemon;
    this.containerd = containerd;
    this.address = containerd.address;
  }

  /** Skips outside CI when not root; fails loudly in CI. */
  public static void requireRoot() {
    io.fastpull.format.Privileges.requireRoot();
  }

  public static Node start(Path dir) throws IOException, InterruptedException {
    return start(dir, b -> b);
  }

  /** A node whose daemon configuration {@code tweak} changes (after the defaults above). */
  public static Node start(Path dir, UnaryOperator<DaemonConfig.Builder> tweak)
      throws IOException, InterruptedException {
    LocalRegistry registry = null;
    FaultProxy proxy = null;
    SnapshotterDaemon daemon = null;
    try {
      registry = LocalRegistry.builder(dir.resolve("registry")).start();
      proxy = FaultProxy.start(registry.host());
      DaemonConfig config = tweak.apply(DaemonConfig.builder()
          .root(dir.resolve("d/root"))
          .socket(dir.resolve("d/run/fastpull.sock"))
          .metricsAddress(Optional.of(new InetSocketAddress("127.0.0.1", 0)))
          .shutdownTimeout(Duration.ofSeconds(5))
          .lazy(true)
          .hostsDir(Optional.empty())
          .dockerConfig(Optional.empty())
          .plainHttp(List.of(proxy.host()))
          .readTimeout(Duration.ofSeconds(20))
          .cacheSizeBytes(256L << 20)
          // tests measure what a pull and a run fetch on demand; a background fill of whole
          // layers would race with that on a busy machine (a tweak may turn it back on)
          .backgroundFetch(false))
          .build();
      daemon = SnapshotterDaemon.builder(config).start();
      return new Node(dir, registry, proxy, daemon,
          Containerd.start(dir.resolve("c"), config.socket()));
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (daemon != null) {
        daemon.close();
      }
      if (proxy != null) {
        proxy.close();
      }
      if (registry != null) {
        registry.close();
      }
      throw e;
    }
  }

  /** The output and exit code of a ctr run. */
  public record CtrResult(int exit, String output) {}

  /** Runs {@code ctr --address SOCK ARGS...} with a bounded wait. */
  public CtrResult run(List<String> args) throws IOException, InterruptedException {
    Containerd.Result r = containerd.run(args);
    return new CtrResult(r.exit(), r.output());
  }

  /** Runs ctr and fails with its output unless it exits 0. */
  public String ctr(String... args) throws IOException, InterruptedException {
    CtrResult r = run(List.of(args));
    if (r.exit() != 0) {
      throw new IOException("ctr " + String.join(" ", args) + " exited " + r.exit() + ": "
          + r.output() + "\ncontainerd log:\n" + log());
    }
    return r.output();
  }

  /**
   * Runs the real {@code fastpull} command line ({@code io.fastpull.cli.Main}) in a child JVM on
   * this test's class path, with a bounded wait.
   */
  public static CtrResult fastpull(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(
        ProcessHandle.current().info().command().orElse("java"),
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "io.fastpull.cli.Main"));
    cmd.addAll(List.of(args));
    ChildProcess.Result r = ChildProcess.run(cmd, Duration.ofSeconds(120));
    return new CtrResult(r.exit(), r.output());
  }

  /** The last lines of containerd's log. */
  public String log() throws IOException {
    return containerd.log();
  }

  @Override
  public void close() throws IOException {
    try {
      containerd.close();
      unmountUnder(false);
    } finally {
      try {
        daemon.close();
      } finally {
        try {
          unmountUnder(true);
        } finally {
          proxy.close();
          registry.close();
        }
      }
    }
  }

  /** Lazily unmounts what is mounted under the node's directory (FUSE layers only if asked). */
  private void unmountUnder(boolean includeFuse) throws IOException {
    try {
      HostMounts.unmountAllUnder(dir, includeFuse);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
