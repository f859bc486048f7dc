package io.fastpull.daemon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive lock on a daemon root, held for the daemon's life: a second daemon on the same root
 * would run restart recovery on live state and unmount layers in use. The lock is a POSIX record
 * lock on {@code <root>/daemon.lock}, so the kernel releases it when the holder dies, even by
 * SIGKILL; the file holds the holder's PID, for the message the next daemon prints.
 *
 * <p>POSIX locks belong to the process and are dropped when any of its descriptors of the file is
 * closed, so within one JVM the roots already locked are also kept in a set, and a second lock on
 * one of them never opens the file. Thread-safe; {@link #close()} is idempotent.
 */
final class RootLock implements AutoCloseable {
  static final String FILE = "daemon.lock";
  private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();

  private final Path path;
  private final FileChannel channel;
  private boolean closed;

  private RootLock(Path path, FileChannel channel) {
    this.path = path;
    this.channel = channel;
  }

  /**
   * Locks {@code root}, an existing directory.
   *
   * @throws IOException if another process (or another daemon in this one) holds the lock; the
   *     message names its PID and what to do. Nothing in the root is changed then.
   */
  static RootLock acquire(Path root) throws IOException {
    Path path = root.toRealPath().resolve(FILE);
    long self = ProcessHandle.current().pid();
    if (!HELD_HERE.add(path)) {
      throw inUse(root, Long.toString(self));
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw inUse(root, holder(channel));
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap((self + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
      channel.force(false);
      return new RootLock(path, channel);
    } catch (IOException | RuntimeException e) {
      HELD_HERE.remove(path);
      if (channel != null) {
        channel.close();
      }
      throw e;
    }
  }

  private static IOException inUse(Path root, String pid) {
    return new IOException("root " + root + " is in use by another fastpull daemon (pid " + pid
        + "); stop it or use another --root");
  }

  /** The PID the holder wrote, or "unknown" if it has not written it yet. */
  private static String holder(FileChannel channel) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(32);
    channel.read(buf, 0);
    String pid = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
    return pid.matches("\\d+") ? pid : "unknown";
  }

  /** Releases the lock; the file stays (deleting it would race with the next daemon's lock). */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.close();
    } finally {
      HELD_HERE.remove(path);
    }
  }
}
