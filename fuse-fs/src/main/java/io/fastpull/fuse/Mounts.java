package io.fastpull.fuse;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

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
   * Whether {@code dir} is a FUSE mount whose server is gone: the kernel answers every access
   * with ENOTCONN ("Transport endpoint is not connected").
   */
  static boolean isStale(Path dir) {
    try {
      Files.readAttributes(dir, BasicFileAttributes.class);
      return false;
    } catch (FileSystemException e) {
      String reason = e.getReason();
      return reason != null && reason.contains("Transport endpoint is not connected");
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
