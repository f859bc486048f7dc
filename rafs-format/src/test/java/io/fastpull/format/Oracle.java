package io.fastpull.format;

import static io.fastpull.format.Layers.bytes;
import static io.fastpull.format.Layers.dir;
import static io.fastpull.format.Layers.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The test oracle shared by every module: a layer with every kind of entry, GNU tar to extract
 * it, and the rewrite of OCI whiteouts into the form overlayfs stores, so that a converted,
 * mounted or unpacked layer can be compared with {@code tar -x} of its source.
 */
public final class Oracle {
  private Oracle() {}

  /** Every file type, owner, mode bit, xattr namespace, link kind and whiteout form. */
  public static byte[] richLayer(int chunk) throws IOException {
    byte[] shared = bytes(chunk * 2 + 17, 7, false);
    return Layers.tar(w -> {
      w.add(new TarHeader("./", TarEntryType.DIRECTORY, 0755, 0, 0, 0, 1_500_000_000L, 0, "", 0, 0,
          Map.of()), null);
      dir(w, "./etc/", 0755);
      file(w, "./etc/hostname", "lazy\n".getBytes(StandardCharsets.UTF_8));
      file(w, "./etc/empty", new byte[0]);
      // A later entry replaces an earlier one of the same name.
      file(w, "./etc/replaced", bytes(50, 50, true));
      file(w, "./etc/replaced", bytes(70, 70, true));
      dir(w, "./bin/", 0755);
      file(w, "./bin/suid", 04755, 0, 0, bytes(100, 1, true), Map.of());
      file(w, "./bin/sgid", 02711, 0, 50, bytes(10, 2, true), Map.of());
      dir(w, "./tmp/", 01777);
      dir(w, "./data/", 0750);
      for (int size : new int[] {1, chunk - 1, chunk, chunk + 1, 3 * chunk + 5}) {
        file(w, "./data/f" + size, bytes(size, size, size % 2 == 0));
      }
      file(w, "./data/dup1", shared);
      file(w, "./data/dup2", shared);
      file(w, "./data/owned", 0600, 1000, 1001, bytes(3000, 9, true), Map.of(
          "user.comment", "hello".getBytes(StandardCharsets.UTF_8),
          "user.empty", new byte[0],
          "trusted.bin", new byte[] {0, 1, (byte) 0xff, (byte) 0x80, 10},
          "security.capability", new byte[] {1, 0, 0, 2, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
              0, 0, 0, 0}));
      Layers.symlink(w, "./data/rel-link", "f1");
      Layers.symlink(w, "./data/abs-link", "/etc/hostname");
      Layers.symlink(w, "./data/dangling", "../nowhere/at/all");
      Layers.hardlink(w, "./data/hard", "./data/f1");

      Layers.device(w, "./dev-null", TarEntryType.CHAR_DEVICE, 1, 3);
      Layers.device(w, "./dev-loop", TarEntryType.BLOCK_DEVICE, 7, 0);
      Layers.device(w, "./dev-big", TarEntryType.BLOCK_DEVICE, 259, 300000);
      Layers.device(w, "./fifo", TarEntryType.FIFO, 0, 0);
      // GNU tar (the oracle) restores a directory's time only while its entries are contiguous,
      // and times implicit parents with "now": so every directory here is named, and in order.
      dir(w, "./long/", 0755);
      Layers.hardlink(w, "./long/hard2", "./data/f1");
      dir(w, "./long/" + "d".repeat(100) + "/", 0755);
      String deep = "./long/" + "d".repeat(100) + "/" + "e".repeat(150) + "/";
      dir(w, deep, 0755);
      file(w, deep + "n".repeat(200), bytes(20, 3, true));
      file(w, "./long/ünïcödé-名前-😀.txt", bytes(33, 4, true));
      dir(w, "./wh/", 0755);
      dir(w, "./wh/opaque/", 0755);
      file(w, "./wh/opaque/.wh..wh..opq", new byte[0]);
      file(w, "./wh/opaque/kept", bytes(5, 5, true));
      file(w, "./wh/.wh.gone", new byte[0]);
      dir(w, "./emptydir/", 0700);
    });
  }

  /** Extracts with GNU tar as root: owners, modes, devices and every xattr namespace kept. */
  public static void extract(byte[] tar, Path dir) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("tar", "-x", "-p", "--same-owner", "--numeric-owner",
        "--xattrs", "--xattrs-include=*", "-f", "-", "-C", dir.toString())
        .redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(tar);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "tar -x failed: " + out);
  }

  /** Rewrites OCI whiteouts in an extracted tree the way the converter must store them. */
  public static void overlayWhiteouts(Path root) throws IOException, InterruptedException {
    List<Path> whiteouts;
    try (Stream<Path> s = Files.walk(root)) {
      whiteouts = new ArrayList<>(s.filter(p -> p.getFileName().toString().startsWith(".wh."))
          .toList());
    }
    for (Path w : whiteouts) {
      Path parent = w.getParent();
      FileTime parentTime = Files.getLastModifiedTime(parent, LinkOption.NOFOLLOW_LINKS);
      String name = w.getFileName().toString();
      if (name.equals(".wh..wh..opq")) {
        run("setfattr", "-n", "trusted.overlay.opaque", "-v", "y", parent.toString());
      } else {
        Map<String, Object> a = Files.readAttributes(w, "unix:uid,gid,lastModifiedTime",
            LinkOption.NOFOLLOW_LINKS);
        Path dev = parent.resolve(name.substring(4));
        run("mknod", "-m", "000", dev.toString(), "c", "0", "0");
        run("chown", a.get("uid") + ":" + a.get("gid"), dev.toString());
        java.time.Instant t = ((FileTime) a.get("lastModifiedTime")).toInstant();
        run("touch", "-h", "-m", "-d", "@" + t.getEpochSecond() + "." + String.format("%09d",
            t.getNano()), dev.toString());
      }
      Files.delete(w);
      Files.setLastModifiedTime(parent, parentTime);
    }
  }

  public static void run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor() == 0, String.join(" ", cmd) + ": " + out);
  }
}
