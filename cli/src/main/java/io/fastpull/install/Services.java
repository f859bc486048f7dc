package io.fastpull.install;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Starting and stopping the daemon: through systemd when it is PID 1, else as a background process
 * with a pid file. Only a process whose pid file we wrote and whose command line is fastpull's
 * daemon is ever signalled.
 */
final class Services {
  private static final String MAIN = "io.fastpull.cli.Main";

  private Services() {}

  /** Whether systemd manages this machine (the check sd_booted(3) makes). */
  static boolean systemd() {
    return Files.isDirectory(Path.of("/run/systemd/system"));
  }

  /** Runs a command to completion (bounded), failing with its output unless it exits 0. */
  static String run(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      p.getOutputStream().close();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new IOException(String.join(" ", cmd) + " did not finish in 120 s");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ": "
            + out.strip());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + cmd, e);
    } finally {
      p.destroyForcibly();
    }
  }

  /** The pid in {@code pidFile} when that process is alive and is fastpull's daemon. */
  static Optional<ProcessHandle> runningDaemon(Path pidFile) throws IOException {
    if (!Files.isRegularFile(pidFile)) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile).trim());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
    if (!Files.exists(cmdline)) {
      return Optional.empty();
    }
    String cmd;
    try {
      cmd = new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (IOException gone) {
      return Optional.empty();
    }
    if (!cmd.contains(MAIN) || !cmd.contains(" daemon")) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
  }

  /**
   * Starts {@code launcher daemon --config config} in its own session, output appended to
   * {@code log}, and waits (at most 60 s) for {@code socket} to appear.
   *
   * @return the daemon's pid, also written to {@code pidFile}
   * @throws IOException if it exits or does not listen in time (the message has the log's tail)
   */
  static long startBackground(Path launcher, Path config, Path socket, Path log, Path pidFile)
      throws IOException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    Files.createDirectories(pidFile.toAbsolutePath().getParent());
    List<String> cmd = new ArrayList<>(List.of("setsid", launcher.toString(), "daemon",
        "--config", config.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .redirectErrorStream(true);
    pb.environment().putIfAbsent("FASTPULL_JAVA_OPTS", "-Xmx1g");
    Process p = pb.start();
    Disk.write(pidFile, (p.pid() + "\n").getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    try {
      for (int i = 0; i < 600; i++) {
        if (!p.isAlive()) {
          Files.deleteIfExists(pidFile);
          throw new IOException("fastpull daemon exited " + p.exitValue() + " at start; log "
              + log + " ends with:\n" + tail(log));
        }
        if (Files.exists(socket)) {
          return p.pid();
        }
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw new IOException("fastpull daemon (pid " + p.pid() + ") has no socket " + socket
        + " after 60 s; it is left running; see " + log + ":\n" + tail(log));
  }

  /** SIGTERM, then (after 30 s) SIGKILL; removes the pid file. */
  static void stop(ProcessHandle daemon, Path pidFile) throws IOException {
    daemon.destroy();
    try {
      daemon.onExit().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      daemon.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("waiting for pid " + daemon.pid(), e);
    }
    Files.deleteIfExists(pidFile);
  }

  private static String tail(Path log) throws IOException {
    if (!Files.exists(log)) {
      return "";
    }
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }
}
