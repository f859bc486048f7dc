package io.fastpull.fuse;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;

/** Reads the mount table and unmounts: fusermount first (works unprivileged), umount after. */
final class Mounts {
  private Mounts() {}

  /** Whether {@code dir} is a mount point per {@code /proc/self/mountinfo}. */
  static boolean isMountPoint(Path dir) throws IOException {
    String want = escape(dir.toAbsolutePath().normalize().toString());
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && f[4].equals(want)) {
        return true;
      }
    }
    return false;
  }

  /** Mount paths are octal-escaped in mountinfo (space, tab, newline, backslash). */
  private static String escape(String path) {
    return path.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011")
        .replace("\n", "\\012");
  }

  /**
   * Whether {@code dir} is a FUSE mount whose server is gone: the kernel answers requests with
   * ENOTCONN ("Transport endpoint is not connected"). A {@code stat} alone cannot tell: the kernel
   * answers it from its attribute cache without asking the server, so a mount whose server was
   * killed a moment ago still looks alive. For a FUSE mount listed in mountinfo, opening the
   * directory asks the server (OPENDIR is never cached). Blocks as long as a live but hung server
   * does not answer; callers probe only mounts that no live process of theirs serves.
   */
  static boolean isStale(Path dir) {
    try {
      Files.readAttributes(dir, BasicFileAttributes.class);
    } catch (FileSystemException e) {
      return notConnected(e);
    } catch (IOException e) {
      return false;
    }
    try {
      if (fuseConnection(dir).isEmpty()) {
        return false;
      }
    } catch (IOException e) {
      return false;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      return false;
    } catch (FileSystemException e) {
      return notConnected(e);
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean notConnected(FileSystemException e) {
    String reason = e.getReason();
    return reason != null && reason.contains("Transport endpoint is not connected");
  }

  /**
   * The FUSE connection number of the topmost mount at {@code dir} (the minor device number in
   * mountinfo, which names the connection under {@code /sys/fs/fuse/connections}), or empty when
   * no FUSE filesystem is mounted there.
   */
  static Optional<Integer> fuseConnection(Path dir) throws IOException {
    String want = escape(dir.toAbsolutePath().normalize().toString());
    Optional<Integer> found = Optional.empty();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      int dash = line.indexOf(" - ");
      if (f.length > 4 && dash > 0 && f[4].equals(want)) {
        String fstype = line.substring(dash + 3).split(" ")[0];
        String dev = f[2];
        found = fstype.equals("fuse") || fstype.startsWith("fuse.")
            ? Optional.of(Integer.parseInt(dev.substring(dev.indexOf(':') + 1)))
            : Optional.empty(); // a later line is mounted on top of the earlier ones
      }
    }
    return found;
  }

  /**
   * Aborts FUSE connection {@code connection} through the fusectl filesystem, so that every
   * request on it fails at once instead of waiting for a server. Returns whether it was aborted
   * (false when fusectl is not mounted or the connection is gone already).
   */
  static boolean abort(int connection) {
    Path abort = Path.of("/sys/fs/fuse/connections", Integer.toString(connection), "abort");
    try {
      Files.writeString(abort, "1");
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Unmounts {@code dir}; {@code lazy} detaches it even while busy. */
  static void unmount(Path dir, boolean lazy) throws IOException {
    String p = dir.toAbsolutePath().toString();
    Commands.Result r = Commands.run(lazy ? List.of("fusermount", "-u", "-z", p)
        : List.of("fusermount", "-u", p));
    if (r.ok()) {
      return;
    }
    Commands.Result u = Commands.run(lazy ? List.of("umount", "-l", p) : List.of("umount", p));
    if (!u.ok()) {
      throw new IOException("cannot unmount " + p + ": fusermount: " + r.output() + "; umount: "
          + u.output());
    }
  }
}
