package io.fastpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Layers;
import io.fastpull.format.Privileges;
import io.fastpull.format.TreeSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LayerCommandTest {
  @TempDir Path tmp;

  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void packInspectVerifyUnpack() throws Exception {
    Privileges.requireRoot();
    Path tar = tmp.resolve("layer.tar");
    Files.write(tar, Layers.tar(w -> {
      Layers.dir(w, "./", 0755);
      Layers.dir(w, "./etc/", 0755);
      Layers.file(w, "./etc/motd", "hello\n".getBytes(StandardCharsets.UTF_8));
      Layers.symlink(w, "./etc/link", "motd");
      Layers.file(w, "./big", Layers.bytes(3 * 4096 + 1, 3, false));
    }));
    Path blob = Files.createDirectory(tmp.resolve("out")).resolve("layer.blob");
    Run pack = run("layer", "pack", "--chunk-size", "4096", tar.toString(), blob.toString());
    assertEquals(0, pack.code(), pack.err());
    assertTrue(pack.out().contains("diff_id   sha256:"), pack.out());

    Run inspect = run("layer", "inspect", "--chunks", blob.toString());
    assertEquals(0, inspect.code(), inspect.err());
    assertTrue(inspect.out().contains("/etc/link -> motd"), inspect.out());

    Run verify = run("layer", "verify", blob.toString());
    assertEquals(0, verify.code(), verify.err());

    Path dir = tmp.resolve("unpacked");
    Run unpack = run("layer", "unpack", blob.toString(), dir.toString());
    assertEquals(0, unpack.code(), unpack.err());
    Path expected = Files.createDirectory(tmp.resolve("expected"));
    Process p = new ProcessBuilder("tar", "-x", "-p", "--numeric-owner", "-f", tar.toString(), "-C",
        expected.toString()).inheritIO().start();
    assertEquals(0, p.waitFor());
    List<String> diff = TreeSnapshot.of(expected, true, false).diff(TreeSnapshot.of(dir, true,
        false));
    assertEquals(List.of(), diff);
  }

  @Test
  void badInputFailsClearlyAndLeavesNothingBehind() throws Exception {
    Path tar = tmp.resolve("evil.tar");
    Files.write(tar, Layers.tar(w -> Layers.file(w, "../escape", new byte[3])));
    Path blob = tmp.resolve("evil.blob");
    Run pack = run("layer", "pack", tar.toString(), blob.toString());
    assertEquals(1, pack.code());
    assertTrue(pack.err().contains("../escape"), pack.err());
    assertFalse(Files.exists(blob));
    try (Stream<Path> s = Files.list(tmp)) {
      assertEquals(List.of(tar), s.toList(), "no temporary file left behind");
    }

    Path missing = tmp.resolve("nope.tar");
    Run noFile = run("layer", "pack", missing.toString(), blob.toString());
    assertEquals(1, noFile.code());
    assertTrue(noFile.err().contains("nope.tar"), noFile.err());

    Path notBlob = tmp.resolve("not-a-blob");
    Files.write(notBlob, new byte[200]);
    Run verify = run("layer", "verify", notBlob.toString());
    assertEquals(1, verify.code());
    assertTrue(verify.err().contains("not a fastpull lazy blob"), verify.err());

    assertEquals(2, run("layer", "pack").code(), "usage error");
  }
}
