package io.fastpull.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Per-run work directories: one per process, removed on close, stale ones removed at the next run. */
class WorkDirTest {
  @TempDir Path base;

  @Test
  void eachRunGetsItsOwnDirectoryNamedForItsProcessAndCloseRemovesIt() throws Exception {
    Path dir;
    try (WorkDir w = WorkDir.open(base)) {
      dir = w.path();
      assertEquals(base, dir.getParent());
      assertTrue(dir.getFileName().toString()
          .startsWith(WorkDir.PREFIX + ProcessHandle.current().pid() + "-"), dir.toString());
      Files.createDirectories(dir.resolve("sub"));
      Files.write(dir.resolve("sub/partial.rafs"), new byte[4096]);
      w.close();
      assertFalse(Files.exists(dir));
      w.close(); // idempotent
    }
    assertEquals(List.of(), list(base));
  }

  @Test
  void staleDirectoriesOfGoneProcessesAreRemovedAndLiveOnesKept() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    assertTrue(gone.waitFor(30, TimeUnit.SECONDS));
    Process alive = new ProcessBuilder("sleep", "600").start();
    try {
      long aliveStart = alive.info().startInstant().map(Instant::toEpochMilli).orElseThrow();
      Path dead = Files.createDirectory(base.resolve(WorkDir.name(gone.pid(), 1)));
      Files.write(dead.resolve("abc.rafs"), new byte[100]);
      Path live = Files.createDirectory(base.resolve(WorkDir.name(alive.pid(), aliveStart)));
      // The pid of a live process, but not the process that made it: the pid was reused.
      Path reused = Files.createDirectory(base.resolve(WorkDir.name(alive.pid(), aliveStart - 1)));
      Path foreign = Files.createDirectory(base.resolve("fastpull-convert-notes"));
      try (WorkDir w = WorkDir.open(base)) {
        assertFalse(Files.exists(dead), "the dead run's directory is gone");
        assertFalse(Files.exists(reused));
        assertTrue(Files.exists(live), "a running conversion keeps its directory");
        assertTrue(Files.exists(foreign), "names not made by a run are left alone");
        assertTrue(Files.isDirectory(w.path()));
      }
    } finally {
      alive.destroyForcibly();
      alive.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static List<Path> list(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }
}
