package io.fastpull.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.daemon.Containerd;
import io.fastpull.daemon.HostMounts;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.FaultProxy;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM of the daemon in the middle of a lazy pull, all parts real: the daemon runs as its own
 * process (stopped by PID), containerd 1.6 uses it as its proxy snapshotter, and {@code fastpull
 * pull} pulls a three-layer lazy image whose third layer's blob stalls at the registry (behind a
 * fault proxy), so the pull is still mounting when the signal comes. The daemon exits within its
 * shutdown timeout, leaves no mount under its root, the pull fails with an error naming the
 * snapshotter (not containerd) as the part that went away, a pull while the daemon is down says
 * the same, and a daemon restarted on the same root serves a new pull of the image.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DaemonSigtermTest {
  private static final Duration SHUTDOWN = Duration.ofSeconds(3);

  @TempDir Path dir;
  private LocalRegistry registry;
  private FaultProxy proxy;
  private Containerd containerd;
  private Process daemon;
  private Process pull;

  @BeforeEach
  void start() throws Exception {
    Node.requireRoot();
    registry = LocalRegistry.builder(dir.resolve("registry")).start();
    proxy = FaultProxy.start(registry.host());
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (pull != null) {
        pull.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      if (containerd != null) {
        containerd.close();
      }
    } finally {
      try {
        if (daemon != null) {
          daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } finally {
        try {
          HostMounts.unmountAllUnder(dir, true);
        } finally {
          proxy.close();
          registry.close();
        }
      }
    }
  }

  private Path root() {
    return dir.resolve("d/root");
  }

  private Path socket() {
    return dir.resolve("d/run/fastpull.sock");
  }

  /** Starts {@code fastpull daemon} (the daemon's main) as a child process; waits for its socket. */
  private Process startDaemon(String logName) throws Exception {
    Path cfg = dir.resolve("fastpull.toml");
    Files.writeString(cfg, String.join("\n",
        "lazy = true",
        "background_fetch = false",
        "hosts_dir = \"\"",
        "docker_config = \"\"",
        "plain_http = [\"" + proxy.host() + "\"]",
        "metrics_address = \"disabled\"",
        "read_timeout = \"20s\"",
        "shutdown_timeout = \"" + SHUTDOWN.toSeconds() + "s\"",
        ""));
    Process p = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.fastpull.cli.Main", "daemon",
        "--config", cfg.toString(), "--root", root().toString(), "--socket", socket().toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve(logName).toFile())
        .start();
    await(() -> !p.isAlive() || Files.exists(socket()), Duration.ofSeconds(60), "daemon socket");
    assertTrue(p.isAlive(), () -> "daemon exited: " + read(logName));
    return p;
  }

  /** {@code fastpull pull} in a child JVM, output to a file. */
  private Process startPull(String ref, String logName) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "io.fastpull.cli.Main", "pull", "--address", containerd.address.toString(),
        "--plain-http", proxy.host(), ref));
    return new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve(logName).toFile()).start();
  }

  @Test
  void sigtermDuringAPullStopsInTimeUnmountsAndARestartedDaemonServesANewPull()
      throws Exception {
    String ref = proxy.host() + "/fastpull/term:1";
    TestImage.Pushed image;
    try (RegistryClient client = RegistryClient.builder().plainHttp(proxy.host()).build()) {
      image = TestImage.pushLazy(client, ref, TestImage.tars(4 << 20, 21), -1);
    }
    daemon = startDaemon("daemon-1.log");
    containerd = Containerd.start(dir.resolve("c"), socket());

    proxy.reset(); // forget the push's requests
    // The third layer's metadata never arrives while the fault lasts.
    String stalled = "/blobs/" + image.layers().get(2).digest();
    proxy.inject(FaultProxy.Fault.stallAfter(stalled, 0, Duration.ofSeconds(120), 100));
    pull = startPull(ref, "pull-1.log");
    await(() -> proxy.requests(stalled) >= 1 || !pull.isAlive(), Duration.ofSeconds(90),
        "the pull reaching the third layer");
    assertTrue(pull.isAlive(), () -> "the pull ended before the stall: " + read("pull-1.log"));
    List<String> mounted = fuseMountsUnderRoot();
    assertEquals(2, mounted.size(), () -> "the first two layers are mounted: " + mounted
        + "\ndaemon:\n" + read("daemon-1.log") + "\npull:\n" + read("pull-1.log"));

    long signalled = System.nanoTime();
    daemon.destroy(); // SIGTERM
    boolean exited = daemon.waitFor(SHUTDOWN.toSeconds() + 20, TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - signalled) / 1e9;
    assertTrue(exited, () -> "daemon still running after SIGTERM: " + read("daemon-1.log"));
    System.out.printf("daemon exit after SIGTERM: %.2f s (shutdown_timeout %d s), code %d%n",
        seconds, SHUTDOWN.toSeconds(), daemon.exitValue());
    // The shutdown timeout bounds waiting for calls; JVM exit and unmounts come on top.
    assertTrue(seconds < SHUTDOWN.toSeconds() + 10, "exit took " + seconds + " s");
    assertEquals(List.of(), fuseMountsUnderRoot(), "mounts left under the daemon's root");
    assertTrue(read("daemon-1.log").contains("daemon stopped"), () -> read("daemon-1.log"));

    assertTrue(pull.waitFor(120, TimeUnit.SECONDS), () -> "pull still running: "
        + read("pull-1.log"));
    String failed = read("pull-1.log");
    System.out.println("pull during SIGTERM: exit " + pull.exitValue() + "\n" + failed);
    assertNotEquals(0, pull.exitValue(), failed);
    List<String> errors = failed.lines().filter(l -> l.startsWith("fastpull: ")).toList();
    assertEquals(1, errors.size(), failed);
    // It names the snapshotter as the part that went away (was: "containerd answered CANCELLED").
    assertTrue(errors.get(0).contains("snapshotter \"fastpull\""), failed);
    assertTrue(errors.get(0).contains(image.layers().get(2).digest().toString()), failed);

    // With the daemon down and containerd up, a pull says the snapshotter is the missing part.
    pull = startPull(ref, "pull-down.log");
    assertTrue(pull.waitFor(120, TimeUnit.SECONDS), () -> "pull still running: "
        + read("pull-down.log"));
    String down = read("pull-down.log");
    System.out.println("pull with the daemon down: exit " + pull.exitValue() + "\n" + down);
    assertNotEquals(0, pull.exitValue(), down);
    // Not "cannot reach containerd ... is containerd running?": containerd answered.
    assertTrue(down.contains("cannot reach its snapshotter \"fastpull\""), down);
    assertFalse(down.contains("is containerd running"), down);

    // A daemon restarted on the same root serves a new pull, with the registry healthy again.
    proxy.reset();
    daemon = startDaemon("daemon-2.log");
    pull = startPull(ref, "pull-2.log");
    assertTrue(pull.waitFor(120, TimeUnit.SECONDS), () -> "pull still running: "
        + read("pull-2.log"));
    assertEquals(0, pull.exitValue(), () -> read("pull-2.log") + "\ndaemon:\n"
        + read("daemon-2.log") + "\ncontainerd:\n" + logSafe());
    String out = containerd.ctr("run", "--rm", "--snapshotter", "fastpull", ref, "fp-term",
        "/bin/sh", "-c", "cat /etc/greeting /models/config.json; ls /models");
    assertEquals(TestImage.EXPECTED, out.trim());
  }

  /** FUSE mounts under the daemon's root, from this mount namespace's mountinfo. */
  private List<String> fuseMountsUnderRoot() throws IOException {
    String prefix = root().toString() + "/";
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      String mountpoint = f[4].replace("\\040", " ");
      int dash = line.indexOf(" - ");
      String type = dash < 0 ? "" : line.substring(dash + 3).split(" ")[0];
      if (mountpoint.startsWith(prefix) && type.startsWith("fuse")) {
        out.add(mountpoint);
      }
    }
    return out;
  }

  private String logSafe() {
    try {
      return containerd.log();
    } catch (IOException e) {
      return e.toString();
    }
  }

  private String read(String logName) {
    try {
      return Files.readString(dir.resolve(logName));
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  private static void await(BooleanSupplier done, Duration limit, String what)
      throws InterruptedException {
    long end = System.nanoTime() + limit.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }
}
