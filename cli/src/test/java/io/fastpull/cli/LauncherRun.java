package io.fastpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code scripts/fastpull} launcher, as a user would, for tests named {@code *IT}
 * (failsafe runs them after {@code package} built {@code cli/target/fastpull.jar} and
 * {@code lib/}).
 *
 * <p>Both output streams are drained on threads of their own while the process runs, so a child
 * that fills a pipe cannot hang the test, and the timeout always fires: the launcher (and any
 * process it started in its group) is killed and the test fails with what it printed so far.
 */
public final class LauncherRun {
  /** What one launcher run printed and returned. */
  public record Result(int exitCode, String stdout, String stderr) {
    /** Fails the test unless the exit code is {@code expected}, showing both streams. */
    public Result expectExit(int expected) {
      assertEquals(expected, exitCode, () -> "exit code; stdout:\n" + stdout + "\nstderr:\n" + stderr);
      return this;
    }
  }

  private final List<String> args = new ArrayList<>();
  private final Map<String, String> env = new java.util.HashMap<>();
  private Path directory;
  private Duration timeout = Duration.ofMinutes(2);
  private byte[] stdin = new byte[0];

  private LauncherRun(List<String> args) {
    this.args.addAll(args);
  }

  /** A run of {@code scripts/fastpull ARGS...}. */
  public static LauncherRun fastpull(String... args) {
    return new LauncherRun(List.of(args));
  }

  /** The repository's top directory (failsafe runs with the module as working directory). */
  public static Path repoRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    return Files.isRegularFile(dir.resolve("scripts/fastpull")) ? dir : dir.getParent();
  }

  /** The launcher script. */
  public static Path launcher() {
    return repoRoot().resolve("scripts/fastpull");
  }

  public LauncherRun env(String name, String value) {
    env.put(name, value);
    return this;
  }

  public LauncherRun in(Path workingDirectory) {
    this.directory = workingDirectory;
    return this;
  }

  public LauncherRun timeout(Duration timeout) {
    this.timeout = timeout;
    return this;
  }

  public LauncherRun stdin(String text) {
    this.stdin = text.getBytes(StandardCharsets.UTF_8);
    return this;
  }

  /** Runs the launcher to its end, or kills it after the timeout and throws. */
  public Result run() throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(launcher().toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    if (directory != null) {
      pb.directory(directory.toFile());
    }
    Process p = pb.start();
    Drain out = Drain.start(p.getInputStream(), "stdout");
    Drain err = Drain.start(p.getErrorStream(), "stderr");
    try (var in = p.getOutputStream()) {
      in.write(stdin);
    } catch (IOException ignored) {
      // the command does not read its input: nothing to deliver
    }
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(
          "fastpull " + args + " did not end within " + timeout + "; stdout:\n" + out.text()
              + "\nstderr:\n" + err.text());
    }
    return new Result(p.exitValue(), out.text(), err.text());
  }

  /** Reads one stream to its end on a thread of its own. */
  private static final class Drain {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Thread thread;

    private Drain(InputStream in, String name) {
      this.thread = new Thread(() -> copy(in), "launcher-" + name);
      this.thread.setDaemon(true);
    }

    static Drain start(InputStream in, String name) {
      Drain d = new Drain(in, name);
      d.thread.start();
      return d;
    }

    private void copy(InputStream in) {
      byte[] buf = new byte[8192];
      try (in) {
        for (int n; (n = in.read(buf)) > 0; ) {
          synchronized (bytes) {
            bytes.write(buf, 0, n);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    String text() throws InterruptedException {
      thread.join(5_000);
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }
  }
}
