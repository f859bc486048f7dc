package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootLockTest {
  @TempDir Path root;

  @Test
  void aSecondLockIsRefusedWithTheHoldersPidUntilTheFirstIsReleased() throws IOException {
    long self = ProcessHandle.current().pid();
    try (RootLock first = RootLock.acquire(root)) {
      assertEquals(self + "\n", Files.readString(root.resolve(RootLock.FILE)));
      IOException e = assertThrows(IOException.class, () -> RootLock.acquire(root));
      assertEquals("root " + root + " is in use by another fastpull daemon (pid " + self
          + "); stop it or use another --root", e.getMessage());
      first.close();
      first.close(); // idempotent
    }
    try (RootLock again = RootLock.acquire(root)) {
      assertTrue(Files.exists(root.resolve(RootLock.FILE)));
    }
  }

  @Test
  void aDaemonCannotStartOnALockedRoot() throws IOException {
    DaemonConfig config = DaemonHarness.config(root);
    Files.createDirectories(config.root());
    try (RootLock held = RootLock.acquire(config.root())) {
      IOException e = assertThrows(IOException.class, () -> SnapshotterDaemon.start(config));
      assertTrue(e.getMessage().contains("is in use by another fastpull daemon"), e.getMessage());
      assertTrue(Files.notExists(config.root().resolve("metadata.db")), "nothing touched");
      assertTrue(Files.notExists(config.socket()));
    }
  }
}
