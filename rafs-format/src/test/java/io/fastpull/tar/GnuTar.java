package io.fastpull.tar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs GNU tar and the attr tools as processes, for compatibility tests. */
final class GnuTar {
  private GnuTar() {}

  /** Runs a command to completion (bounded), failing the test on a non-zero exit. */
  static String run(Path dir, String... cmd) throws IOException, InterruptedException {
    Path log = Files.createTempFile("cmd", ".log");
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + List.of(cmd));
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), () -> List.of(cmd) + " failed:\n" + out);
      return out;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** Skips root-only cases when not root, except in CI where they must run. */
  static void assumeRoot() {
    io.fastpull.format.Privileges.requireRoot();
  }

  static boolean isRoot() throws IOException {
    return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
  }

  static void setXattr(Path file, String name, byte[] value) throws Exception {
    run(file.getParent(), "setfattr", "-h", "-n", name, "-v",
        "0x" + HexFormat.of().formatHex(value), file.toString());
  }

  /** The value of one xattr via getfattr, or null if absent. */
  static byte[] getXattr(Path file, String name) throws Exception {
    String out = run(file.getParent(), "getfattr", "-h", "--absolute-names", "-d", "-m", "",
        "-e", "hex", file.toString());
    for (String line : out.split("\n")) {
      if (line.startsWith(name + "=0x")) {
        return HexFormat.of().parseHex(line.substring(name.length() + 3).trim());
      }
      if (line.equals(name + "=") || line.equals(name + "=\"\"")) {
        return new byte[0];
      }
    }
    return null;
  }

  static long stBlocks(Path file) throws Exception {
    return Long.parseLong(run(file.getParent(), "stat", "-c", "%b", file.toString()).trim());
  }

  static void assertContains(String haystack, String needle) {
    assertTrue(haystack.contains(needle), () -> "expected '" + needle + "' in:\n" + haystack);
  }
}
