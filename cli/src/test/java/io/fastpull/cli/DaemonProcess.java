package io.fastpull.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/fastpull daemon ...} started in the background, as a user would: its output
 * goes to a file, {@link #awaitSocket} waits until it serves, and {@link #close} stops it by its
 * PID (SIGTERM, then SIGKILL after a bounded wait). The launcher execs java, so the PID is the
 * daemon's.
 */
final class DaemonProcess implements AutoCloseable {
  final Process process;
  final Path log;

  private DaemonProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code fastpull daemon ARGS}, logging into {@code log}. */
  static DaemonProcess start(Path log, List<String> prefix, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(LauncherRun.launcher().toString());
    cmd.add("daemon");
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    return new DaemonProcess(p, log);
  }

  static DaemonProcess start(Path log, String... args) throws IOException {
    return start(log, List.of(), args);
  }

  long pid() {
    return process.pid();
  }

  /** Waits until {@code socket} exists (the daemon serves), failing if the daemon exits first. */
  DaemonProcess awaitSocket(Path socket) throws Exception {
    for (int i = 0; i < 1200 && !Files.exists(socket); i++) { // 2 min: shared, busy CI machine
      assertTrue(process.isAlive(), () -> "daemon exited " + process.exitValue() + ": " + log());
      Thread.sleep(100);
    }
    assertTrue(Files.exists(socket), () -> "no socket " + socket + " after 2 min: " + log());
    return this;
  }

  /** Waits for the daemon to end by itself (bounded) and returns its exit code. */
  int awaitExit(int seconds) throws Exception {
    assertTrue(process.waitFor(seconds, TimeUnit.SECONDS),
        () -> "daemon still running after " + seconds + " s: " + log());
    return process.exitValue();
  }

  String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
