package io.fastpull.systemd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The notifier against a real datagram socket bound by the test, as systemd binds its own. */
class ServiceNotifierTest {
  @TempDir Path dir;

  @Test
  void readyStatusAndStoppingArriveAsSystemdReadsThem() throws Exception {
    Path path = dir.resolve("notify");
    try (NotifySocket manager = NotifySocket.bind(new NotifyAddress(path.toString()))) {
      ServiceNotifier n = ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", path.toString()));
      assertTrue(n.enabled());
      n.ready("serving /run/x.sock\nremounted 2");
      assertEquals("READY=1\nSTATUS=serving /run/x.sock remounted 2", manager.receive(5000).text());
      n.status("3 layers");
      assertEquals("STATUS=3 layers", manager.receive(5000).text());
      n.stopping("stopping");
      NotifySocket.Message m = manager.receive(5000);
      assertEquals("STOPPING=1\nSTATUS=stopping", m.text());
      assertEquals(List.of(), m.fds());
    }
  }

  @Test
  void abstractSocketNames() throws Exception {
    String name = "@fastpull-test-" + UUID.randomUUID();
    try (NotifySocket manager = NotifySocket.bind(new NotifyAddress(name))) {
      ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", name)).ready("up");
      assertEquals("READY=1\nSTATUS=up", manager.receive(5000).text());
    }
    assertFalse(Files.exists(Path.of(name)), "abstract: nothing in the filesystem");
  }

  /** What the fd store needs: descriptors travel by SCM_RIGHTS and still work on arrival. */
  @Test
  void descriptorsTravelWithTheMessage() throws Exception {
    Path path = dir.resolve("notify");
    int[] pipe = new int[2];
    assertEquals(0, NotifySocket.LIBC.pipe(pipe));
    int[] second = new int[2];
    assertEquals(0, NotifySocket.LIBC.pipe(second));
    try (NotifySocket manager = NotifySocket.bind(new NotifyAddress(path.toString()))) {
      ServiceNotifier n = ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", path.toString()));
      n.send("FDSTORE=1\nFDNAME=layer-1", pipe[1], second[0]);
      NotifySocket.Message m = manager.receive(5000);
      assertEquals("FDSTORE=1\nFDNAME=layer-1", m.text());
      assertEquals(2, m.fds().size(), m::toString);
      int received = m.fds().get(0);
      assertNotEquals(pipe[1], received, "the receiver gets a duplicate");
      byte[] hello = "through the fd".getBytes(StandardCharsets.UTF_8);
      // written through the received duplicate, read from the sender's own pipe end
      assertEquals(hello.length, NotifySocket.LIBC.write(received, hello, hello.length));
      byte[] back = new byte[hello.length];
      assertEquals(hello.length, NotifySocket.LIBC.read(pipe[0], back, back.length));
      assertArrayEquals(hello, back);
      m.fds().forEach(NotifySocket.LIBC::close);
    } finally {
      for (int fd : new int[] {pipe[0], pipe[1], second[0], second[1]}) {
        NotifySocket.LIBC.close(fd);
      }
    }
  }

  @Test
  void withoutNotifySocketNothingIsSent() throws Exception {
    ServiceNotifier n = ServiceNotifier.fromEnvironment(Map.of());
    assertFalse(n.enabled());
    n.ready("x");
    n.send("FDSTORE=1", 0); // no-op, no failure
    assertFalse(ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "relative/path")).enabled());
    assertFalse(ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", "/" + "x".repeat(200)))
        .enabled());
  }

  @Test
  void undeliverableMessagesAreReportedBySendAndOnlyLoggedByReady() throws Exception {
    Path nobody = dir.resolve("nobody");
    ServiceNotifier n = ServiceNotifier.fromEnvironment(Map.of("NOTIFY_SOCKET", nobody.toString()));
    IOException e = assertThrows(IOException.class, () -> n.send("READY=1"));
    assertTrue(e.getMessage().contains(nobody.toString()), e.getMessage());
    n.ready("no manager"); // logged, not thrown
  }

  @Test
  void addressesAreValidated() {
    assertEquals("@", new NotifyAddress("@a").value().substring(0, 1));
    assertArrayEquals(new byte[] {0, 'a', 'b'}, new NotifyAddress("@ab").sunPath());
    assertArrayEquals(new byte[] {'/', 'a', 0}, new NotifyAddress("/a").sunPath());
    assertThrows(IllegalArgumentException.class, () -> new NotifyAddress("@"));
    assertThrows(IllegalArgumentException.class, () -> new NotifyAddress("vsock:2:9"));
  }
}
