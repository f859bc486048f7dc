package io.fastpull.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command for a test with a bounded wait. Its output (stderr merged into stdout) is drained
 * on a thread of its own while the test waits for the exit, so neither a child that fills the pipe
 * nor one that never closes its output (or leaves a grandchild holding it) can keep the wait from
 * ending: a child still running at the deadline is killed and the call fails with what it printed.
 */
public final class ChildProcess {
  /** How long the output may still flow after the exit (a grandchild may hold the pipe). */
  private static final long DRAIN_AFTER_EXIT_MILLIS = 5_000;

  private ChildProcess() {}

  /** The exit code and the merged output of a finished child. */
  public record Result(int exit, String output) {}

  /** Runs {@code cmd}; see {@link #run(ProcessBuilder, Duration)}. */
  public static Result run(List<String> cmd, Duration timeout)
      throws IOException, InterruptedException {
    return run(new ProcessBuilder(cmd), timeout);
  }

  /**
   * Starts {@code pb} with stderr merged into stdout and waits at most {@code timeout} for it to
   * exit.
   *
   * @throws IOException when it does not exit in time (it is killed; the message holds its output)
   */
  public static Result run(ProcessBuilder pb, Duration timeout)
      throws IOException, InterruptedException {
    Process p = pb.redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread drain = new Thread(() -> copy(p.getInputStream(), out),
        "child-output-" + p.pid());
    drain.setDaemon(true);
    drain.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        drain.join(DRAIN_AFTER_EXIT_MILLIS);
        throw new IOException("timed out after " + timeout + ", killed: "
            + String.join(" ", pb.command()) + "\noutput so far:\n" + text(out));
      }
      drain.join(DRAIN_AFTER_EXIT_MILLIS);
      return new Result(p.exitValue(), text(out));
    } finally {
      p.destroyForcibly();
    }
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    byte[] buf = new byte[8192];
    try (in) {
      for (int n; (n = in.read(buf)) >= 0; ) {
        synchronized (out) {
          out.write(buf, 0, n);
        }
      }
    } catch (IOException e) {
      // the pipe closed under us (the child was killed): keep what arrived
    }
  }

  private static String text(ByteArrayOutputStream out) {
    synchronized (out) {
      return out.toString(StandardCharsets.UTF_8);
    }
  }
}
