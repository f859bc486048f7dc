package io.fastpull.systemd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.daemon.SnapshotterDaemon;
import io.fastpull.format.Privileges;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's command line under a service manager: READY=1 only once the snapshots socket is
 * served, STOPPING=1 when SIGTERM starts the shutdown.
 */
class DaemonNotifyTest {
  @TempDir Path dir;

  @Test
  void readyWhenServedAndStoppingOnSigterm() throws Exception {
    Privileges.requireRoot();
    Path cfg = dir.resolve("fastpull.toml");
    Files.writeString(cfg, "metrics_address = \"disabled\"\nshutdown_timeout = \"2s\"\nlazy = false\n");
    Path socket = dir.resolve("run/fastpull.sock");
    Path notify = dir.resolve("notify");
    try (NotifySocket manager = NotifySocket.bind(new NotifyAddress(notify.toString()))) {
      ProcessBuilder pb = new ProcessBuilder(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), SnapshotterDaemon.class.getName(),
          "--config", cfg.toString(), "--root", dir.resolve("root").toString(),
          "--socket", socket.toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("daemon.log").toFile());
      pb.environment().put("NOTIFY_SOCKET", notify.toString());
      Process p = pb.start();
      try {
        NotifySocket.Message ready = manager.receive(60_000);
        // the socket must accept a connection the moment readiness is announced
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
          c.connect(UnixDomainSocketAddress.of(socket));
        }
        assertEquals("READY=1\nSTATUS=serving " + socket, ready.text(), this::log);
        p.destroy(); // SIGTERM
        assertEquals("STOPPING=1", manager.receive(30_000).text().lines().findFirst().orElseThrow(),
            this::log);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), this::log);
        // the JVM ends a SIGTERM with status 143, which the unit lists in SuccessExitStatus=
        assertEquals(143, p.exitValue(), this::log);
      } finally {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("daemon.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }
}
