package io.fastpull.daemon;

import io.fastpull.format.ChildProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private containerd 1.6 (own root, state and sockets in a temp dir) with fastpull as a proxy
 * snapshotter and the CRI plugin disabled. Stopped by PID on {@link #close()}.
 */
public final class Containerd implements AutoCloseable {
  public final Path dir;
  public final Path address;
  private final Process process;

  private Containerd(Path dir, Path address, Process process) {
    this.dir = dir;
    this.address = address;
    this.process = process;
  }

  public static Containerd start(Path dir, Path snapshotterSocket) throws IOException, InterruptedException {
    return start(dir, snapshotterSocket, null);
  }

  /**
   * @param criRegistry when non-null, the CRI plugin is enabled with fastpull as its snapshotter,
   *     snapshot annotations on, and this plain-HTTP {@code host:port} registry
   */
  public static Containerd start(Path dir, Path snapshotterSocket, String criRegistry)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path address = dir.resolve("c.sock");
    String config =
        "version = 2\n"
            + "root = \"" + dir.resolve("root") + "\"\n"
            + "state = \"" + dir.resolve("state") + "\"\n"
            + (criRegistry == null ? "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n" : "")
            + "[grpc]\n  address = \"" + address + "\"\n"
            + "[ttrpc]\n  address = \"" + dir.resolve("c.sock.ttrpc") + "\"\n"
            + "[debug]\n  address = \"" + dir.resolve("debug.sock") + "\"\n"
            + "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" + dir.resolve("opt") + "\"\n"
            // collect garbage after every deletion, so removals reach the snapshotter promptly
            + "[plugins.\"io.containerd.gc.v1.scheduler\"]\n  deletion_threshold = 1\n"
            + "[proxy_plugins.fastpull]\n  type = \"snapshot\"\n  address = \"" + snapshotterSocket + "\"\n";
    if (criRegistry != null) {
      String cri = "[plugins.\"io.containerd.grpc.v1.cri\"]\n";
      config += cri
          + "  stream_server_port = \"0\"\n"
          + "  enable_selinux = false\n"
          + "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
          + "  snapshotter = \"fastpull\"\n"
          + "  disable_snapshot_annotations = false\n"
          + "[plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
          + "  bin_dir = \"" + dir.resolve("cni-bin") + "\"\n"
          + "  conf_dir = \"" + dir.resolve("cni-conf") + "\"\n"
          + "[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"" + criRegistry + "\"]\n"
          + "  endpoint = [\"http://" + criRegistry + "\"]\n";
    }
    Path cfg = dir.resolve("config.toml");
    Files.writeString(cfg, config);
    Process p = new ProcessBuilder("containerd", "--config", cfg.toString(), "--log-level", "debug")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("containerd.log").toFile())
        .start();
    Containerd c = new Containerd(dir, address, p);
    try {
      for (int i = 0; i < 300; i++) {
        if (!p.isAlive()) {
          throw new IOException("containerd exited: " + c.log());
        }
        if (Files.exists(address) && c.run(List.of("version")).exit == 0) {
          return c;
        }
        Thread.sleep(100);
      }
      throw new IOException("containerd did not come up in 30 s: " + c.log());
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** The exit code and output of one ctr run. */
  public record Result(int exit, String output) {}

  /** Runs {@code ctr --address SOCK ARGS...} with a bounded wait. */
  public Result run(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("ctr", "--address", address.toString()));
    cmd.addAll(args);
    // Output drained while waiting: a large listing would otherwise fill the pipe and stall ctr.
    ChildProcess.Result r = ChildProcess.run(cmd, Duration.ofSeconds(120));
    return new Result(r.exit(), r.output());
  }

  /** Runs ctr and fails with its output unless it exits 0. */
  public String ctr(String... args) throws IOException, InterruptedException {
    Result r = run(List.of(args));
    if (r.exit != 0) {
      throw new IOException("ctr " + String.join(" ", args) + " exited " + r.exit + ": " + r.output);
    }
    return r.output;
  }

  /**
   * Runs containerd's garbage collector now and waits for it (deleting a lease with --sync does
   * that), instead of waiting for the scheduler, which paces itself and skips a pass after a
   * removal it had to retry.
   */
  public void collectGarbage(String namespace) throws IOException, InterruptedException {
    String id = "fastpull-gc-" + System.nanoTime();
    ctr("-n", namespace, "leases", "create", "--id", id);
    ctr("-n", namespace, "leases", "delete", "--sync", id);
  }

  /** The last 40 lines of containerd's log. */
  public String log() throws IOException {
    Path log = dir.resolve("containerd.log");
    if (!Files.exists(log)) {
      return "";
    }
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  @Override
  public void close() {
    Processes.stop(process, 20);
  }
}
