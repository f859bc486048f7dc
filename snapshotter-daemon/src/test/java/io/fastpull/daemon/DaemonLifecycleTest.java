package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import io.fastpull.snapshot.LayerMounter;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Socket handling, metrics endpoint and the command-line entry point. */
class DaemonLifecycleTest {
  @TempDir Path dir;

  @BeforeEach
  void root() {
    Privileges.requireRoot();
  }

  private static String perms(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void socketIsPrivateAndMetricsAreServed() throws Exception {
    try (DaemonHarness h = DaemonHarness.start(dir, LayerMounter.none())) {
      assertEquals("rw-------", perms(h.socket));
      assertEquals("rwx------", perms(h.socket.getParent()));
      assertEquals("rwx------", perms(h.root));
      Calls calls = new Calls(h.stub());
      calls.prepare("k", "");
      Calls.assertCode(io.grpc.Status.Code.ALREADY_EXISTS, () -> calls.prepare("k", ""));

      int port = h.daemon.metricsAddress().orElseThrow().getPort();
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      String body = r.body();
      assertTrue(body.contains("fastpull_grpc_calls_total{method=\"Prepare\",code=\"OK\"} 1"), body);
      assertTrue(body.contains("fastpull_grpc_calls_total{method=\"Prepare\",code=\"ALREADY_EXISTS\"} 1"), body);
      assertTrue(body.contains("fastpull_grpc_call_seconds_count{method=\"Prepare\"} 2"), body);
      assertTrue(body.contains("fastpull_mounted_layers 0"), body);
      // the build serving, as `fastpull version` prints it
      assertTrue(body.contains("fastpull_build_info{version=\"" + BuildInfo.current().version()
          + "\",commit=\"" + BuildInfo.current().commit() + "\"} 1"), body);
      assertFalse(BuildInfo.current().version().equals("unknown"), BuildInfo.current()::toString);
    }
  }

  @Test
  void groupSocketIsGroupReadable() throws Exception {
    DaemonConfig config = DaemonHarness.config(dir).toBuilder().socketGroup(Optional.of("root")).build();
    try (SnapshotterDaemon d = SnapshotterDaemon.start(config)) {
      assertEquals(config.socket(), d.config().socket());
      assertEquals("rw-rw----", perms(config.socket()));
      assertEquals("rwxr-x---", perms(config.socket().getParent()));
    }
  }

  @Test
  void staleSocketIsReplacedButLiveOneIsNot() throws Exception {
    DaemonConfig config = DaemonHarness.config(dir);
    Files.createDirectories(config.socket().getParent());
    try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      stale.bind(UnixDomainSocketAddress.of(config.socket()));
    }
    assertTrue(Files.exists(config.socket()), "a closed listener leaves its socket file");
    try (DaemonHarness h = DaemonHarness.start(dir, LayerMounter.none())) {
      new Calls(h.stub()).prepare("k", "");
      DaemonConfig second = DaemonHarness.config(dir.resolve("second")).toBuilder().socket(config.socket()).build();
      IOException e = assertThrows(IOException.class, () -> SnapshotterDaemon.start(second));
      assertTrue(e.getMessage().contains("another server is listening"), e.getMessage());
      assertEquals(List.of("k"), new Calls(h.stub()).names(), "the live daemon keeps serving");
    }
    assertFalse(Files.exists(config.socket()));
  }

  @Test
  void nonSocketPathIsRefused() throws Exception {
    DaemonConfig config = DaemonHarness.config(dir);
    Files.createDirectories(config.socket().getParent());
    Files.writeString(config.socket(), "not a socket");
    IOException e = assertThrows(IOException.class, () -> SnapshotterDaemon.start(config));
    assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
    assertEquals("not a socket", Files.readString(config.socket()));
  }

  @Test
  void mainRunsUntilSigtermThenShutsDownGracefully() throws Exception {
    Path cfg = dir.resolve("fastpull.toml");
    Files.writeString(cfg, "metrics_address = \"disabled\"\nshutdown_timeout = \"2s\"\nlog_level = \"debug\"\n");
    Path socket = dir.resolve("run/main.sock");
    Process p = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            SnapshotterDaemon.class.getName(),
            "--config", cfg.toString(), "--root", dir.resolve("root").toString(),
            "--socket", socket.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("daemon.log").toFile())
        .start();
    try {
      for (int i = 0; i < 200 && !Files.exists(socket); i++) {
        assertTrue(p.isAlive(), () -> "daemon exited: " + log());
        Thread.sleep(100);
      }
      assertTrue(Files.exists(socket), this::log);
      try (DaemonClient c = new DaemonClient(socket)) {
        c.calls.layer("base", "");
        assertEquals(List.of("base"), c.calls.names());
      }
      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), this::log);
      assertFalse(Files.exists(socket), "socket removed on shutdown");
      assertTrue(log().contains("daemon stopped"), this::log);
    } finally {
      p.destroyForcibly();
    }

    Process bad = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            SnapshotterDaemon.class.getName(), "--bogus")
        .redirectErrorStream(true).start();
    assertTrue(bad.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, bad.exitValue());
    assertTrue(new String(bad.getInputStream().readAllBytes()).contains("unknown argument \"--bogus\""));
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("daemon.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  @Test
  void daemonStartsOnAnExistingRootAndMapsKindsBack() throws Exception {
    try (DaemonHarness h = DaemonHarness.start(dir, LayerMounter.none())) {
      new Calls(h.stub()).layer("c", "");
    }
    try (DaemonHarness h = DaemonHarness.start(dir, LayerMounter.none())) {
      Calls calls = new Calls(h.stub());
      assertEquals(io.fastpull.proto.containerd.snapshots.v1.Kind.COMMITTED, calls.stat("c").getKind());
      calls.prepare("next", "c", Map.of("a", "b"));
      assertEquals("c", calls.stat("next").getParent());
    }
  }
}
