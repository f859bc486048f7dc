package io.fastpull.snapshot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the kernel's mount table ({@code /proc/self/mountinfo}). */
final class MountTable {
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

  private MountTable() {}

  /** Mountpoints at or below {@code dir}, deepest last as listed by the kernel. */
  static List<Path> mountsUnder(Path dir) throws IOException {
    Path base = dir.toAbsolutePath().normalize();
    List<Path> found = new ArrayList<>();
    for (String line : Files.readAllLines(MOUNTINFO)) {
      String[] fields = line.split(" ");
      if (fields.length < 5) {
        continue;
      }
      Path mountpoint = Path.of(unescape(fields[4]));
      if (mountpoint.startsWith(base)) {
        found.add(mountpoint);
      }
    }
    return found;
  }

  /** Whether something is mounted exactly at {@code dir}. */
  static boolean isMountpoint(Path dir) throws IOException {
    return mountsUnder(dir).contains(dir.toAbsolutePath().normalize());
  }

  // mountinfo escapes space, tab, newline and backslash as \ooo octal
  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length()) {
        try {
          out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
          i += 3;
          continue;
        } catch (NumberFormatException e) {
          // not an escape: keep the backslash
        }
      }
      out.append(c);
    }
    return out.toString();
  }
}
