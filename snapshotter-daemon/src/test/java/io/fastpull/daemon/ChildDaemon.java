package io.fastpull.daemon;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's command line in a JVM of its own (this test's class path), so that a test can stop
 * it as systemd does (SIGTERM) or kill it as a crash does (SIGKILL), by PID. Its output is appended
 * to {@code daemon.log} in its directory, across restarts.
 */
final class ChildDaemon implements AutoCloseable {
  final Path socket;
  private final Path log;
  private final Process process;

  private ChildDaemon(Path socket, Path log, Process process) {
    this.socket = socket;
    this.log = log;
    this.process = process;
  }

  /**
   * Starts {@code SnapshotterDaemon} with {@code config} (TOML), root {@code dir/root} and socket
   * {@code dir/run/fastpull.sock}, and waits (at most 60 s) until the socket accepts connections.
   */
  static ChildDaemon start(Path dir, String config) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path cfg = dir.resolve("fastpull.toml");
    Files.writeString(cfg, config);
    Path socket = dir.resolve("run/fastpull.sock");
    Path log = dir.resolve("daemon.log");
    Process p = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dfile.encoding=UTF-8", "-cp", System.getProperty("java.class.path"),
        SnapshotterDaemon.class.getName(), "--config", cfg.toString(),
        "--root", dir.resolve("root").toString(), "--socket", socket.toString())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    ChildDaemon d = new ChildDaemon(socket, log, p);
    try {
      for (int i = 0; i < 600; i++) {
        if (!p.isAlive()) {
          throw new IOException("daemon exited " + p.exitValue() + ":\n" + d.log());
        }
        if (d.accepts()) {
          return d;
        }
        Thread.sleep(100);
      }
      throw new IOException("daemon did not serve " + socket + " in 60 s:\n" + d.log());
    } catch (IOException | InterruptedException | RuntimeException e) {
      d.close();
      throw e;
    }
  }

  private boolean accepts() {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  long pid() {
    return process.pid();
  }

  /** SIGTERM, as systemd stops it; waits for the graceful shutdown (at most 60 s). */
  void stop() throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new IOException("daemon did not stop in 60 s:\n" + log());
    }
  }

  /** SIGKILL, as a crash or the OOM killer ends it: nothing is cleaned up. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** The daemon's output so far (last 80 lines). */
  String log() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** Stops the daemon if it still runs (SIGTERM, then SIGKILL). Idempotent. */
  @Override
  public void close() {
    Processes.stop(process, 30);
  }
}
