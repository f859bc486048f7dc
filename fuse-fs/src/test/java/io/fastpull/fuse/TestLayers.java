package io.fastpull.fuse;

import static io.fastpull.format.Layers.bytes;
import static io.fastpull.format.Layers.dir;
import static io.fastpull.format.Layers.file;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fastpull.format.Layers;
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

/** Layer tars for mount tests, and the tar-x oracle they are compared with. */
final class TestLayers {
  private TestLayers() {}

  /** Every file type, owner, mode bit, xattr namespace, link kind and whiteout form. */
  static byte[] rich(int chunk) throws IOException {
    byte[] shared = bytes(chunk * 2 + 17, 7, false);
    return Layers.tar(w -> {
      w.add(new TarHeader("./", TarEntryType.DIRECTORY, 0755, 0, 0, 0, 1_500_000_000L, 0, "", 0,
          0, Map.of()), null);
      dir(w, "./etc/", 0755);
      file(w, "./etc/hostname", "lazy\n".getBytes(StandardCharsets.UTF_8));
      file(w, "./etc/empty", new byte[0]);
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
          "trusted.bin", new byte[] {0, 1, (byte) 0xff, (byte) 0x80, 10}));
      Layers.symlink(w, "./data/rel-link", "f1");
      Layers.symlink(w, "./data/abs-link", "/etc/hostname");
      Layers.symlink(w, "./data/dangling", "../nowhere/at/all");
      Layers.hardlink(w, "./data/hard", "./data/f1");
      Layers.device(w, "./dev-null", TarEntryType.CHAR_DEVICE, 1, 3);
      Layers.device(w, "./dev-loop", TarEntryType.BLOCK_DEVICE, 7, 0);
      Layers.device(w, "./dev-big", TarEntryType.BLOCK_DEVICE, 259, 300000);
      Layers.device(w, "./fifo", TarEntryType.FIFO, 0, 0);
      dir(w, "./long/", 0755);
      Layers.hardlink(w, "./long/hard2", "./data/f1");
      String deep = "./long/" + "d".repeat(100) + "/";
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
  static void extract(byte[] tar, Path dir) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("tar", "-x", "-p", "--same-owner", "--numeric-owner",
        "--xattrs", "--xattrs-include=*", "-f", "-", "-C", dir.toString())
        .redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(tar);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "tar -x failed: " + out);
  }

  /** Rewrites OCI whiteout files in an extracted tree into overlayfs's own forms. */
  static void overlayWhiteouts(Path root) throws IOException, InterruptedException {
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
        run("touch", "-h", "-m", "-d", "@" + t.getEpochSecond() + "."
            + String.format("%09d", t.getNano()), dev.toString());
      }
      Files.delete(w);
      Files.setLastModifiedTime(parent, parentTime);
    }
  }

  static String run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    if (rc != 0) {
      throw new IOException(String.join(" ", cmd) + " exited " + rc + ": " + out);
    }
    return out;
  }
}
