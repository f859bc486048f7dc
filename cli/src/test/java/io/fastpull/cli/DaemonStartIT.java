package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code fastpull daemon} refuses to start, through the real launcher: one line on stderr
 * that names the cause and what to do, a non-zero exit, no stack trace, nothing changed.
 */
class DaemonStartIT {
  @TempDir Path dir;

  private Path config(String toml) throws IOException {
    Path f = Files.createTempFile(dir, "config", ".toml");
    Files.writeString(f, toml);
    return f;
  }

  /** Runs {@code fastpull daemon ARGS} to its end (a daemon that starts fails the test). */
  private static LauncherRun.Result refused(String... args) throws Exception {
    LauncherRun.Result r = fastpull(prepend("daemon", args)).timeout(Duration.ofSeconds(90)).run();
    assertNotEquals(0, r.exitCode(), r::stderr);
    String all = r.stdout() + r.stderr();
    assertFalse(all.contains("\tat ") || all.contains("Exception"), "no stack trace:\n" + all);
    return r;
  }

  private static String[] prepend(String first, String... rest) {
    String[] a = new String[rest.length + 1];
    a[0] = first;
    System.arraycopy(rest, 0, a, 1, rest.length);
    return a;
  }

  /** The error line: the last line of stderr. */
  private static String errorLine(LauncherRun.Result r) {
    List<String> lines = r.stderr().strip().lines().toList();
    return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
  }

  private static void assertSays(LauncherRun.Result r, String... parts) {
    String line = errorLine(r);
    assertTrue(line.startsWith("fastpull daemon: "), "stderr:\n" + r.stderr());
    for (String p : parts) {
      assertTrue(line.contains(p), () -> "\"" + p + "\" missing from: " + line);
    }
  }

  /** Every file under {@code root} with its size and modification time. */
  private static List<String> state(Path root) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted().toList()) {
        out.add(root.relativize(p) + " " + Files.size(p) + " " + Files.getLastModifiedTime(p));
      }
    }
    return out;
  }

  private static boolean answers(Path socket) {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return c.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void secondDaemonOnTheSameRootIsRefusedAndTheFirstIsUntouched() throws Exception {
    Path cfg = config("lazy = false\nmetrics_address = \"disabled\"\n");
    Path root = dir.resolve("root");
    Path first = dir.resolve("first.sock");
    try (DaemonProcess a = DaemonProcess.start(dir.resolve("a.log"), "--config", cfg.toString(),
        "--root", root.toString(), "--socket", first.toString())) {
      a.awaitSocket(first);
      List<String> before = state(root);

      Path second = dir.resolve("second.sock");
      LauncherRun.Result r = refused("--config", cfg.toString(), "--root", root.toString(),
          "--socket", second.toString());
      assertSays(r, "root " + root + " is in use by another fastpull daemon (pid " + a.pid() + ")",
          "stop it or use another --root");
      assertFalse(Files.exists(second), "the second daemon made no socket");
      assertEquals(before, state(root), "the first daemon's root is unchanged");
      assertTrue(a.process.isAlive() && answers(first), "the first daemon still serves");

      // another root but the first daemon's socket: refused as well, the socket kept
      LauncherRun.Result s = refused("--config", cfg.toString(),
          "--root", dir.resolve("other").toString(), "--socket", first.toString());
      assertSays(s, "another server is listening on " + first, "configure another socket path");
      assertTrue(answers(first), "the first daemon still serves");
    }
  }

  @Test
  void startFailuresNameTheCauseAndWhatToDo() throws Exception {
    Path sock = dir.resolve("s.sock");
    String[] quiet = {"--metrics-address", "disabled", "--socket", sock.toString()};
    // later flags win: each case that fails only on its config still never uses /var/lib/fastpull
    String[] safe = cat(quiet, "--root", dir.resolve("r0").toString());

    assertSays(refused(cat(quiet, "--root", "/proc/fastpull-test-" + ProcessHandle.current().pid())),
        "cannot create root directory /proc/fastpull-test-", "no such file or directory",
        "--root");

    Path file = Files.writeString(dir.resolve("a-file"), "x");
    assertSays(refused(cat(quiet, "--root", file.toString())),
        "cannot create root directory " + file, "not a directory", "--root");

    assertSays(refused("--metrics-address", "disabled", "--root", dir.resolve("r1").toString(),
            "--socket", file.resolve("s.sock").toString()),
        "socket directory " + file, "is not a directory", "--socket");

    LauncherRun.Result level = refused(cat(quiet, "--root", dir.resolve("r2").toString(),
        "--log-level", "VERBOSE"));
    assertSays(level, "--log-level", "\"VERBOSE\"", "trace, debug, info, warn, error");
    assertEquals(2, level.exitCode());

    assertSays(refused(cat(safe, "--config", config("log_level = \"VERBOSE\"\n").toString())),
        "log_level", "\"VERBOSE\"", "trace, debug, info, warn, error");
    assertSays(refused(cat(safe, "--config", config("rooot = \"/x\"\n").toString())),
        "unknown key \"rooot\"", "did you mean root?");
    assertSays(refused(cat(safe, "--config", config("mount_timeout = \"30sec\"\n").toString())),
        "mount_timeout", "\"30sec\"", "90s, 5m, 1h30m, 500ms");
    assertSays(refused(cat(safe, "--cache-size", "lots")), "--cache-size", "\"lots\"", "10GiB");
    assertSays(refused(cat(safe, "--config", dir.resolve("missing.toml").toString())),
        "missing.toml does not exist", "--config");

    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String address = "127.0.0.1:" + taken.getLocalPort();
      assertSays(refused("--root", dir.resolve("r3").toString(), "--socket", sock.toString(),
              "--metrics-address", address, "--lazy=false"),
          "metrics on " + address, "in use", "metrics_address");
    }
    assertFalse(Files.exists(sock), "no start made a socket");
  }

  @Test
  void nonRootLazyDaemonSaysItCannotMountAndOrdinaryModeRuns() throws Exception {
    // a directory the unprivileged user may write (the test's temp dir is root's, 0700)
    Path open = Files.createTempDirectory(Path.of("/tmp"), "fastpull-nobody-");
    try {
      Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
      List<String> nobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
      Path sock = open.resolve("s.sock");
      try (DaemonProcess lazy = DaemonProcess.start(dir.resolve("lazy.log"), nobody,
          "--root", open.resolve("root").toString(), "--socket", sock.toString(),
          "--metrics-address", "disabled")) {
        int exit = lazy.awaitExit(90);
        assertEquals(1, exit, lazy::log);
        String log = lazy.log();
        assertTrue(log.contains("lazy mode needs root to mount FUSE")
            && log.contains("run as root, or set lazy = false"), log);
        assertFalse(log.contains("\tat "), log);
        assertFalse(Files.exists(open.resolve("root")), "nothing created");
      }
      // ordinary mode, but a root this user may not write: said so, nothing served
      Path locked = Files.createDirectory(open.resolve("locked"),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      try (DaemonProcess denied = DaemonProcess.start(dir.resolve("denied.log"), nobody,
          "--root", locked.toString(), "--socket", sock.toString(),
          "--metrics-address", "disabled", "--no-lazy")) {
        assertEquals(1, denied.awaitExit(90), denied::log);
        assertTrue(denied.log().contains("cannot write to root " + locked + ": permission denied;"
            + " run the daemon as root, or choose a root it owns with --root"), denied::log);
        assertFalse(Files.exists(sock), "no socket");
      }
      try (DaemonProcess plain = DaemonProcess.start(dir.resolve("plain.log"), nobody,
          "--root", open.resolve("root").toString(), "--socket", sock.toString(),
          "--metrics-address", "disabled", "--no-lazy")) {
        plain.awaitSocket(sock);
      }
    } finally {
      try (Stream<Path> s = Files.walk(open)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static String[] cat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
