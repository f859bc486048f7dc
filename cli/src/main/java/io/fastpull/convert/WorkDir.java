package io.fastpull.convert;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One conversion's own work directory, {@code BASE/fastpull-convert-PID-START} (the process id and
 * its start time in epoch milliseconds), where lazy blobs wait for their upload.
 *
 * <p><b>Lifecycle.</b> {@link #open} first removes the work directories that runs left behind when
 * they could not clean up (kill -9, a crash, a power cut): those whose process is gone, or whose
 * pid now belongs to a process started at another time. Then it creates this run's directory.
 * {@link #close()} removes it with everything in it, and so does a shutdown hook if the JVM stops
 * first (SIGTERM, SIGINT, {@code System.exit}), so an interrupted conversion leaves no partial
 * blobs. {@code close()} is idempotent and removes the hook.
 *
 * <p>Writers may still be writing into the directory while the hook removes it: files they hold
 * open vanish with it (their space is freed when the JVM exits), and files they create meanwhile
 * make the removal try again a few times.
 */
final class WorkDir implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkDir.class);
  static final String PREFIX = "fastpull-convert-";
  private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "(\\d+)-(\\d+)");
  private static final int REMOVE_ATTEMPTS = 5;

  private final Path path;
  private final Thread hook;
  private final AtomicBoolean closed = new AtomicBoolean();

  private WorkDir(Path path) {
    this.path = path;
    this.hook = new Thread(this::remove, "convert-workdir-cleanup");
  }

  /** Removes stale work directories under {@code base}, then creates this process's own there. */
  static WorkDir open(Path base) throws IOException {
    ProcessHandle self = ProcessHandle.current();
    Files.createDirectories(base);
    removeStale(base);
    Path dir = base.resolve(name(self.pid(), startMillis(self)));
    if (Files.exists(dir)) {
      // Only an earlier conversion in this same process can have left it: make it fresh.
      deleteTree(dir);
    }
    Files.createDirectory(dir);
    WorkDir w = new WorkDir(dir);
    Runtime.getRuntime().addShutdownHook(w.hook);
    return w;
  }

  /** The directory; files go directly in it. */
  Path path() {
    return path;
  }

  /** Removes the directory and its content. Idempotent. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook runs (or ran) anyway.
    }
    remove();
  }

  private void remove() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      deleteTree(path);
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("cannot remove work dir={} error={}", path, e.toString());
    }
  }

  static String name(long pid, long startMillis) {
    return PREFIX + pid + "-" + startMillis;
  }

  /** Removes the work directories under {@code base} whose process is gone. */
  static void removeStale(Path base) throws IOException {
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, PREFIX + "*")) {
      for (Path d : dirs) {
        if (isStale(d)) {
          stale.add(d);
        }
      }
    }
    for (Path dir : stale) {
      try {
        deleteTree(dir);
        LOG.info("removed stale work dir={}", dir);
      } catch (IOException | UncheckedIOException e) {
        // Another user's, or being removed by someone else: not ours to insist on.
        LOG.warn("cannot remove stale work dir={} error={}", dir, e.toString());
      }
    }
  }

  private static boolean isStale(Path dir) {
    Matcher m = NAME.matcher(dir.getFileName().toString());
    if (!m.matches() || !Files.isDirectory(dir)) {
      return false;
    }
    long pid;
    long start;
    try {
      pid = Long.parseLong(m.group(1));
      start = Long.parseLong(m.group(2));
    } catch (NumberFormatException e) {
      return false;
    }
    Optional<ProcessHandle> owner = ProcessHandle.of(pid);
    // A live process with another start time got the pid after the owner died.
    return owner.isEmpty() || startMillis(owner.get()) != start;
  }

  private static long startMillis(ProcessHandle p) {
    return p.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  private static void deleteTree(Path dir) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
        return;
      } catch (NoSuchFileException gone) {
        if (gone.getFile() != null && Path.of(gone.getFile()).equals(dir)) {
          return;
        }
        if (attempt >= REMOVE_ATTEMPTS) {
          throw gone;
        }
      } catch (IOException | UncheckedIOException e) {
        // A file created or removed while walking (a writer still at work): walk again.
        if (attempt >= REMOVE_ATTEMPTS) {
          throw e;
        }
      }
    }
  }
}
