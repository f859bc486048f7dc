package io.fastpull.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.cli.LauncherRun;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The installed unit under a real systemd (a user manager, systemd 252, in a mount namespace of
 * its own, since PID 1 here is not systemd): {@code systemctl start} returns only once the
 * snapshots socket is served, the daemon's status shows, and {@code stop} ends it cleanly with its
 * mounts undone. The unit is what {@code fastpull install} writes, with ExecStart at the built
 * launcher and a config on a temp root, socket and no metrics port.
 */
class SystemdUnitIT {
  private static final Path SYSTEMD = Path.of("/lib/systemd/systemd");

  @TempDir Path dir;

  @BeforeEach
  void requirements() {
    // CI runs as root on a machine with systemd installed: a missing part must fail, not skip
    assertEquals("root", System.getProperty("user.name"), "needs root (mount namespaces)");
    assertTrue(Files.isExecutable(SYSTEMD), "needs systemd installed: " + SYSTEMD);
  }

  @Test
  void startWaitsForTheSocketAndStopEndsEverything() throws Exception {
    Path socket = dir.resolve("run/fastpull.sock");
    Path config = dir.resolve("config.toml");
    Files.writeString(config, "root = \"" + dir.resolve("root") + "\"\n"
        + "socket = \"" + socket + "\"\n"
        + "metrics_address = \"disabled\"\n"
        + "hosts_dir = \"\"\n"
        + "docker_config = \"\"\n");
    Layout layout = new Layout(dir.resolve("prefix"), config, dir.resolve("containerd.toml"),
        dir.resolve("xdg/systemd/user"), dir.resolve("fastpull.pid"), dir.resolve("fastpull.log"));
    Files.createDirectories(layout.launcher().getParent());
    Files.createSymbolicLink(layout.launcher(), LauncherRun.launcher());
    Files.createDirectories(layout.unitDir());
    Files.write(layout.unit(), Payload.unit(layout));
    Path script = dir.resolve("user-manager.sh");
    try (InputStream in = SystemdUnitIT.class.getResourceAsStream("user-manager.sh")) {
      Files.write(script, in.readAllBytes());
    }

    Process p = new ProcessBuilder("unshare", "-m", "--propagation", "private", "bash",
        script.toString(), dir.toString(), socket.toString())
        .redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile())
        .start();
    Map<String, String> seen;
    try {
      boolean ended = p.waitFor(8, TimeUnit.MINUTES);
      seen = parse();
      assertTrue(ended, this::transcript);
      assertEquals(0, p.exitValue(), this::transcript);
    } finally {
      endByPid(p);
      System.out.println(transcript());
    }
    assertEquals("0", seen.get("start_exit"), this::transcript);
    assertEquals("ok", seen.get("connect_after_start"),
        () -> "start returned before the socket was served\n" + transcript());
    assertEquals("notify", seen.get("Type"), this::transcript);
    assertEquals("main", seen.get("NotifyAccess"), this::transcript);
    assertEquals("active", seen.get("ActiveState"), this::transcript);
    assertEquals("running", seen.get("SubState"), this::transcript);
    assertEquals("serving " + socket, seen.get("StatusText"), this::transcript);
    assertEquals("inactive", seen.get("after_stop_ActiveState"), this::transcript);
    assertEquals("success", seen.get("after_stop_Result"), this::transcript);
    assertEquals("no", seen.get("main_alive_after_stop"), this::transcript);
    assertEquals("0", seen.get("mounts_after_stop"), "mounts undone on stop\n" + transcript());
  }

  /**
   * Ends the script and, if it could not, the manager and the daemon it started, by the PIDs the
   * script printed (the namespace's mounts vanish with its last process).
   */
  private void endByPid(Process p) throws IOException, InterruptedException {
    if (p.isAlive()) {
      p.destroy();
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
    Map<String, String> seen = parse();
    for (String key : new String[] {"main_pid", "manager_pid"}) {
      String pid = seen.get(key);
      if (pid != null && !pid.equals("0")) {
        Optional<ProcessHandle> h = ProcessHandle.of(Long.parseLong(pid));
        h.ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  private Map<String, String> parse() throws IOException {
    Map<String, String> m = new HashMap<>();
    Path out = dir.resolve("out.txt");
    if (!Files.exists(out)) {
      return m;
    }
    for (String line : Files.readAllLines(out)) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        m.putIfAbsent(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return m;
  }

  private String transcript() {
    StringBuilder b = new StringBuilder();
    for (String f : new String[] {"out.txt", "err.txt", "manager.log"}) {
      try {
        b.append("--- ").append(f).append('\n').append(Files.readString(dir.resolve(f)));
      } catch (IOException e) {
        b.append("--- ").append(f).append(": ").append(e).append('\n');
      }
    }
    return b.toString();
  }
}
