package io.fastpull.daemon;

import java.io.IOException;
import java.net.BindException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * What the daemon checks before it touches anything, and how a start failure is told: one line
 * that names the cause and what to do (the stack trace goes to the debug log only).
 */
final class StartChecks {
  /** CAP_SYS_ADMIN's bit in the capability sets of {@code /proc/self/status}. */
  private static final int CAP_SYS_ADMIN = 21;

  private StartChecks() {}

  /**
   * Creates the root if needed, locks it against a second daemon, then makes it private (0700).
   *
   * @return the lock, to hold until the daemon has stopped
   * @throws IOException naming the root, the cause and what to do
   */
  static RootLock root(Path root) throws IOException {
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new IOException("cannot create root directory " + root + ": " + reason(e)
          + "; choose a directory on a local, writable filesystem with --root"
          + " (or root in the config)", e);
    }
    RootLock lock;
    try {
      lock = RootLock.acquire(root);
    } catch (AccessDeniedException e) {
      throw new IOException("cannot write to root " + root + ": permission denied; run the"
          + " daemon as root, or choose a root it owns with --root", e);
    } catch (FileSystemException e) {
      throw new IOException("cannot lock root " + root + ": " + reason(e)
          + "; choose a directory on a local, writable filesystem with --root", e);
    }
    try {
      Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      lock.close();
      throw new IOException("cannot make root " + root + " private (0700): " + reason(e)
          + "; run the daemon as the owner of the root, or choose another --root", e);
    }
    return lock;
  }

  /**
   * Checks that the socket's directory exists or can be made: its nearest existing ancestor is a
   * directory this process may write to. (The server makes it and sets its mode later.)
   *
   * @throws IOException naming the directory, the cause and what to do
   */
  static void socketDirectory(Path socket) throws IOException {
    Path dir = socket.toAbsolutePath().getParent();
    Path existing = dir;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    String problem = null;
    if (existing == null || !Files.isDirectory(existing)) {
      problem = existing + " is not a directory";
    } else if (!existing.equals(dir) && !Files.isWritable(existing)) {
      problem = "cannot create it: " + existing + " is not writable by this user";
    } else if (!Files.isWritable(existing)) {
      problem = "not writable by this user";
    }
    if (problem != null) {
      throw new IOException("socket directory " + dir + ": " + problem + "; choose a socket path"
          + " in a directory this user may write with --socket (or socket in the config)");
    }
  }

  /**
   * Checks that this process may mount FUSE filesystems, as lazy layers need: CAP_SYS_ADMIN (a
   * FUSE mount by an unprivileged user through fusermount could not be opened by containerd
   * without {@code allow_other}) and read-write access to {@code /dev/fuse}.
   *
   * @throws IOException saying what is missing and the two ways out
   */
  static void canMountFuse(Path devFuse, List<String> procStatus) throws IOException {
    String missing = null;
    if (!hasCapability(procStatus, CAP_SYS_ADMIN)) {
      missing = "this process (uid " + uid(procStatus) + ") has no CAP_SYS_ADMIN";
    } else if (!Files.exists(devFuse)) {
      missing = devFuse + " does not exist (load the fuse module: modprobe fuse)";
    } else if (!Files.isReadable(devFuse) || !Files.isWritable(devFuse)) {
      missing = devFuse + " is not readable and writable by this process";
    }
    if (missing != null) {
      throw new IOException("lazy mode needs root to mount FUSE, but " + missing
          + "; run as root, or set lazy = false (--lazy=false) to serve ordinary images only");
    }
  }

  /** {@link #canMountFuse(Path, List)} for this process. */
  static void canMountFuse() throws IOException {
    canMountFuse(Path.of("/dev/fuse"), Files.readAllLines(Path.of("/proc/self/status")));
  }

  private static boolean hasCapability(List<String> status, int bit) {
    for (String line : status) {
      if (line.startsWith("CapEff:")) {
        long caps = Long.parseUnsignedLong(line.substring(7).trim(), 16);
        return (caps & (1L << bit)) != 0;
      }
    }
    return false;
  }

  private static String uid(List<String> status) {
    for (String line : status) {
      if (line.startsWith("Uid:")) {
        return line.substring(4).trim().split("\\s+")[1]; // real, effective, saved, fs
      }
    }
    return "unknown";
  }

  /**
   * One line for an operator: the message of {@code e}, with the reason the JDK leaves out of
   * file-system exceptions ({@code NoSuchFileException: /x} says only the path).
   */
  static String describe(Throwable e) {
    if (e instanceof FileSystemException fs && fs.getMessage() != null
        && fs.getMessage().equals(fs.getFile())) {
      return fs.getFile() + ": " + reason(fs);
    }
    if (e instanceof BindException) {
      return "address in use: " + e.getMessage();
    }
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /** Why a file operation failed, in the words of strerror. */
  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "exists and is not a directory";
    }
    if (e instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (e instanceof FileSystemException fs && fs.getReason() != null) {
      return fs.getReason().toLowerCase(java.util.Locale.ROOT);
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
