package io.fastpull.pull;

import io.fastpull.daemon.DaemonConfig;
import io.fastpull.daemon.SnapshotterDaemon;
import io.fastpull.registry.testing.FaultProxy;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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
  private final Process containerd;
  public final Path address;

  private Node(Path dir, LocalRegistry registry, FaultProxy proxy, SnapshotterDaemon daemon,
      Process containerd, Path address) {
    this.dir = dir;
    this.registry = registry;
    this.proxy = proxy;
    this.daemon = daemon;
    this.containerd = containerd;
    this.address = address;
  }

  /** Skips outside CI when not root; fails loudly in CI. */
  public static void requireRoot() {
    io.fastpull.format.Privileges.requireRoot();
  }

  public static Node start(Path dir) throws IOException, InterruptedException {
    LocalRegistry registry = null;
    FaultProxy proxy = null;
    SnapshotterDaemon daemon = null;
    try {
      registry = LocalRegistry.builder(dir.resolve("registry")).start();
      proxy = FaultProxy.start(registry.host());
      DaemonConfig config = DaemonConfig.builder()
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
          .build();
      daemon = SnapshotterDaemon.builder(config).start();
      Path c = Files.createDirectories(dir.resolve("c"));
      Path address = c.resolve("c.sock");
      Process p = startContainerd(c, address, config.socket());
      Node node = new Node(dir, registry, proxy, daemon, p, address);
      try {
        for (int i = 0; i < 300; i++) {
          if (!p.isAlive()) {
            throw new IOException("containerd exited: " + node.log());
          }
          if (Files.exists(address) && node.run(List.of("version")).exit() == 0) {
            return node;
          }
          Thread.sleep(100);
        }
        throw new IOException("containerd did not come up in 30 s: " + node.log());
      } catch (IOException | InterruptedException | RuntimeException e) {
        node.close();
        throw e;
      }
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

  private static Process startContainerd(Path dir, Path address, Path snapshotterSocket)
      throws IOException {
    String config = "version = 2\n"
        + "root = \"" + dir.resolve("root") + "\"\n"
        + "state = \"" + dir.resolve("state") + "\"\n"
        + "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
        + "[grpc]\n  address = \"" + address + "\"\n"
        + "[ttrpc]\n  address = \"" + dir.resolve("c.sock.ttrpc") + "\"\n"
        + "[debug]\n  address = \"" + dir.resolve("debug.sock") + "\"\n"
        + "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" + dir.resolve("opt") + "\"\n"
        // collect garbage after every deletion, so removals reach the snapshotter promptly
        + "[plugins.\"io.containerd.gc.v1.scheduler\"]\n  deletion_threshold = 1\n"
        + "[proxy_plugins.fastpull]\n  type = \"snapshot\"\n  address = \""
        + snapshotterSocket + "\"\n";
    Path cfg = dir.resolve("config.toml");
    Files.writeString(cfg, config);
    return new ProcessBuilder("containerd", "--config", cfg.toString(), "--log-level", "debug")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("containerd.log").toFile())
        .start();
  }

  /** The output and exit code of a ctr run. */
  public record CtrResult(int exit, String output) {}

  /** Runs {@code ctr --address SOCK ARGS...} with a bounded wait. */
  public CtrResult run(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ctr", "--address", address.toString()));
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new IOException("timed out: " + cmd);
      }
      return new CtrResult(p.exitValue(), new String(p.getInputStream().readAllBytes()));
    } finally {
      p.destroyForcibly();
    }
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
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new IOException("timed out: " + cmd);
      }
      return new CtrResult(p.exitValue(), new String(out));
    } finally {
      p.destroyForcibly();
    }
  }

  /** The last lines of containerd's log. */
  public String log() throws IOException {
    Path log = dir.resolve("c/containerd.log");
    if (!Files.exists(log)) {
      return "";
    }
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  @Override
  public void close() throws IOException {
    try {
      stop(containerd);
      unmountUnder(true);
    } finally {
      try {
        daemon.close();
      } finally {
        try {
          unmountUnder(false);
        } finally {
          proxy.close();
          registry.close();
        }
      }
    }
  }

  /** Lazily unmounts what is mounted under the node's directory (FUSE layers only if asked). */
  private void unmountUnder(boolean skipLayers) throws IOException {
    List<String> mps = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String mp = line.split(" ")[4];
      if (mp.startsWith(dir.toString()) && !(skipLayers && mp.contains("/fs"))) {
        mps.add(mp);
      }
    }
    for (int i = mps.size() - 1; i >= 0; i--) {
      try {
        Process p = new ProcessBuilder("umount", "-l", mps.get(i)).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void stop(Process p) {
    p.destroy();
    try {
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
