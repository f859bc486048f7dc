package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StartChecksTest {
  @TempDir Path dir;

  private static List<String> status(String uid, String capEff) {
    return List.of("Name:\tjava", "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid,
        "CapEff:\t" + capEff);
  }

  @Test
  void lazyModeNeedsCapSysAdminAndDevFuse() throws IOException {
    Path fuse = Files.createFile(dir.resolve("fuse"));
    StartChecks.canMountFuse(fuse, status("0", "000001ffffffffff"));
    IOException nobody = assertThrows(IOException.class,
        () -> StartChecks.canMountFuse(fuse, status("65534", "0000000000000000")));
    assertEquals("lazy mode needs root to mount FUSE, but this process (uid 65534) has no"
        + " CAP_SYS_ADMIN; run as root, or set lazy = false (--lazy=false) to serve ordinary"
        + " images only", nobody.getMessage());
    IOException noDevice = assertThrows(IOException.class,
        () -> StartChecks.canMountFuse(dir.resolve("none"), status("0", "0000000000200000")));
    assertTrue(noDevice.getMessage().contains("modprobe fuse"), noDevice.getMessage());
  }

  @Test
  void fileErrorsSayWhy() {
    assertEquals("/proc/x: no such file or directory",
        StartChecks.describe(new NoSuchFileException("/proc/x")));
  }

  @Test
  void aSocketDirectoryUnderAFileIsRefused() throws IOException {
    Path file = Files.writeString(dir.resolve("f"), "x");
    IOException e = assertThrows(IOException.class,
        () -> StartChecks.socketDirectory(file.resolve("sub/s.sock")));
    assertTrue(e.getMessage().contains(file + " is not a directory"), e.getMessage());
    StartChecks.socketDirectory(dir.resolve("new/dir/s.sock"));
  }
}
