package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Layers;
import io.fastpull.format.Oracle;
import io.fastpull.format.Privileges;
import io.fastpull.format.TreeSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fastpull layer ...} through the real launcher: exactness against GNU tar, and bad input
 * (missing, empty, foreign, truncated, unwritable) failing in one line that names the user's own
 * paths, with a non-zero exit and nothing left behind.
 */
class LayerCommandIT {
  @TempDir Path tmp;

  @Test
  void emptyValuedXattrSurvivesPackUnpackAndExport() throws Exception {
    Privileges.requireRoot();
    Path src = Files.createDirectory(tmp.resolve("src"));
    Files.writeString(src.resolve("f"), "content");
    Files.createDirectory(src.resolve("d"));
    Oracle.run("setfattr", "-n", "user.empty", src.resolve("f").toString());
    Oracle.run("setfattr", "-n", "user.full", "-v", "abc", src.resolve("f").toString());
    Oracle.run("setfattr", "-n", "trusted.empty", src.resolve("d").toString());
    Path tar = tmp.resolve("layer.tar");
    Oracle.run("tar", "-c", "--xattrs", "--xattrs-include=*", "--format=pax", "-f",
        tar.toString(), "-C", src.toString(), ".");
    Path expected = Files.createDirectory(tmp.resolve("expected"));
    Oracle.run("tar", "-x", "-p", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-f",
        tar.toString(), "-C", expected.toString());
    assertEquals("", getfattr(expected.resolve("f"), "user.empty"), "the oracle has it");

    Path blob = tmp.resolve("layer.blob");
    fastpull("layer", "pack", tar.toString(), blob.toString()).run().expectExit(0);
    Path unpacked = tmp.resolve("unpacked");
    fastpull("layer", "unpack", blob.toString(), unpacked.toString()).run().expectExit(0);
    assertEquals("", getfattr(unpacked.resolve("f"), "user.empty"));
    assertEquals("", getfattr(unpacked.resolve("d"), "trusted.empty"));
    assertSameTree(expected, unpacked);

    Path back = tmp.resolve("back.tar");
    fastpull("layer", "export", "--oci-whiteouts", blob.toString(), back.toString()).run()
        .expectExit(0);
    Path reextracted = Files.createDirectory(tmp.resolve("re"));
    Oracle.run("tar", "-x", "-p", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-f",
        back.toString(), "-C", reextracted.toString());
    assertSameTree(expected, reextracted);
  }

  @Test
  void packIntoAMissingDirectoryFailsAndCreatesNothing() throws Exception {
    Path tar = emptyLayerTar();
    Path missing = tmp.resolve("no-such-dir");
    LauncherRun.Result r = fastpull("layer", "pack", tar.toString(),
        missing.resolve("out.blob").toString()).run();
    assertOneLineError(r, missing.toString(), "does not exist");
    assertFalse(Files.exists(missing));

    LauncherRun.Result dir = fastpull("layer", "pack", tar.toString(), tmp.toString()).run();
    assertOneLineError(dir, tmp.toString(), "is a directory");
    assertEquals(List.of(tar), list(tmp), "nothing written");
  }

  @Test
  void unpackIntoAnEmptyDirectoryWorksAsTarDoes() throws Exception {
    Privileges.requireRoot();
    Path blob = packedSmallLayer();
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    fastpull("layer", "unpack", blob.toString(), empty.toString()).run().expectExit(0);
    assertEquals("hello\n", Files.readString(empty.resolve("etc/motd")));

    Path full = Files.createDirectory(tmp.resolve("full"));
    Files.writeString(full.resolve("mine"), "keep me");
    LauncherRun.Result r = fastpull("layer", "unpack", blob.toString(), full.toString()).run();
    assertOneLineError(r, full.toString(), "not empty");
    assertEquals(List.of(full.resolve("mine")), list(full), "left alone");

    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertOneLineError(fastpull("layer", "unpack", blob.toString(), file.toString()).run(),
        file.toString(), "not a directory");
    Path noParent = tmp.resolve("nope/out");
    assertOneLineError(fastpull("layer", "unpack", blob.toString(), noParent.toString()).run(),
        tmp.resolve("nope").toString(), "does not exist");
    assertFalse(Files.exists(tmp.resolve("nope")));
  }

  @Test
  void unpackIntoAnEmptyMountPointFillsItAndEmptiesItAgainOnFailure() throws Exception {
    Privileges.requireRoot();
    Path small = packedSmallLayer();
    Path big = packedBigLayer();
    Path mnt = Files.createDirectory(tmp.resolve("mnt"));
    Oracle.run("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", mnt.toString());
    try {
      fastpull("layer", "unpack", small.toString(), mnt.toString()).run().expectExit(0);
      assertEquals("hello\n", Files.readString(mnt.resolve("etc/motd")));
      for (Path p : list(mnt)) {
        Unpacker.deleteTree(p);
      }
      LauncherRun.Result r = fastpull("layer", "unpack", big.toString(), mnt.toString()).run();
      assertOneLineError(r, "cannot unpack into " + mnt, "tar -x failed");
      assertEquals(List.of(), list(mnt), "emptied again");
    } finally {
      Oracle.run("umount", mnt.toString());
    }
  }

  @Test
  void errorsNameTheUsersPathsNeverStagingFiles() throws Exception {
    Privileges.requireRoot();
    Path tar = tmp.resolve("big.tar");
    Files.write(tar, bigLayer());
    Path blob = packedBigLayer();
    Path full = Files.createDirectory(tmp.resolve("full"));
    Path ro = Files.createDirectory(tmp.resolve("ro"));
    Oracle.run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", full.toString());
    try {
      Oracle.run("mount", "-t", "tmpfs", "-o", "ro,size=256k", "tmpfs", ro.toString());
      try {
        Path out = full.resolve("out.blob");
        LauncherRun.Result r = fastpull("layer", "pack", tar.toString(), out.toString()).run();
        assertOneLineError(r, "cannot write " + out, "No space left on device");
        assertFalse(r.stderr().contains(".wip"), r.stderr());
        assertEquals(List.of(), list(full));

        Path exported = full.resolve("layer.tar");
        r = fastpull("layer", "export", blob.toString(), exported.toString()).run();
        assertOneLineError(r, "cannot write " + exported, "No space left on device");
        assertEquals(List.of(), list(full));

        Path dir = full.resolve("tree");
        r = fastpull("layer", "unpack", blob.toString(), dir.toString()).run();
        assertOneLineError(r, "cannot unpack into " + dir, "tar -x failed");
        assertFalse(r.stderr().contains(".tree."), r.stderr());
        assertEquals(List.of(), list(full));

        r = fastpull("layer", "pack", tar.toString(), ro.resolve("out.blob").toString()).run();
        assertOneLineError(r, "cannot write " + ro.resolve("out.blob"), "Read-only file system");
        assertFalse(r.stderr().contains(".wip"), r.stderr());
        r = fastpull("layer", "unpack", blob.toString(), ro.resolve("tree").toString()).run();
        assertOneLineError(r, "cannot create " + ro.resolve("tree"), "Read-only file system");
      } finally {
        Oracle.run("umount", ro.toString());
      }
    } finally {
      Oracle.run("umount", full.toString());
    }
  }

  @Test
  void truncatedOrCorruptCompressedLayersSayWhichFileAndWhere() throws Exception {
    byte[] gz = gzip(bigLayer());
    Path truncated = tmp.resolve("truncated.tar.gz");
    Files.write(truncated, Arrays.copyOf(gz, gz.length / 2));
    Path out = tmp.resolve("out.blob");
    LauncherRun.Result r = fastpull("layer", "pack", truncated.toString(), out.toString()).run();
    assertOneLineError(r, truncated.toString(), "truncated", "offset 0x",
        "after " + gz.length / 2 + " compressed bytes");

    byte[] bad = gz.clone();
    bad[10] = 0x07; // the first deflate block gets the reserved type 3
    Path corrupt = tmp.resolve("corrupt.tar.gz");
    Files.write(corrupt, bad);
    r = fastpull("layer", "pack", corrupt.toString(), out.toString()).run();
    assertOneLineError(r, corrupt.toString(), "corrupt");
    assertEquals(List.of(corrupt, truncated), list(tmp), "no output, no staging file");
  }

  @Test
  void aZeroByteInputIsNoTarButEmptyTarsAreEmptyLayers() throws Exception {
    Path zero = Files.createFile(tmp.resolve("zero.tar"));
    Path out = tmp.resolve("out.blob");
    LauncherRun.Result r = fastpull("layer", "pack", zero.toString(), out.toString()).run();
    assertOneLineError(r, zero.toString(), "empty (0 bytes)", "not a tar archive");
    assertFalse(Files.exists(out));
    r = fastpull("layer", "pack", "-", out.toString()).run();
    assertOneLineError(r, "standard input", "empty (0 bytes)");
    assertFalse(Files.exists(out));

    // GNU tar lists all of these as empty archives; OCI's empty layer is the gzip of 1024 zeros.
    Path zeros = Files.write(tmp.resolve("zeros.tar"), new byte[1024]);
    Path zerosGz = Files.write(tmp.resolve("zeros.tar.gz"), gzip(new byte[1024]));
    Path emptyGz = Files.write(tmp.resolve("nothing.gz"), gzip(new byte[0]));
    for (Path p : List.of(zeros, zerosGz, emptyGz)) {
      Oracle.run("tar", "-tf", p.toString());
      LauncherRun.Result ok = fastpull("layer", "pack", p.toString(), out.toString()).run()
          .expectExit(0);
      assertTrue(ok.stdout().contains("entries   0"), ok.stdout());
      fastpull("layer", "verify", out.toString()).run().expectExit(0);
    }
  }

  @Test
  void inputsThatAreNoLayerFailInOneLine() throws Exception {
    Path out = tmp.resolve("out.blob");
    Path missing = tmp.resolve("missing.tar");
    assertOneLineError(fastpull("layer", "pack", missing.toString(), out.toString()).run(),
        "cannot read " + missing, "no such file");
    Path text = Files.writeString(tmp.resolve("notes.txt"), "not a tar at all\n");
    assertOneLineError(fastpull("layer", "pack", text.toString(), out.toString()).run(),
        text.toString(), "does not look like a tar archive");
    Path longText = Files.writeString(tmp.resolve("long.txt"), "lorem ipsum ".repeat(500));
    assertOneLineError(fastpull("layer", "pack", longText.toString(), out.toString()).run(),
        longText.toString(), "does not look like a tar archive");
    Path dir = Files.createDirectory(tmp.resolve("a-dir"));
    assertOneLineError(fastpull("layer", "pack", dir.toString(), out.toString()).run(),
        dir.toString(), "is a directory");
    Path cut = Files.write(tmp.resolve("cut.tar"), Arrays.copyOf(bigLayer(), 5000));
    assertOneLineError(fastpull("layer", "pack", cut.toString(), out.toString()).run(),
        cut.toString(), "truncated");
    assertFalse(Files.exists(out));

    for (String cmd : List.of("inspect", "verify")) {
      assertOneLineError(fastpull("layer", cmd, missing.toString()).run(),
          "cannot read " + missing, "no such file");
      assertOneLineError(fastpull("layer", cmd, text.toString()).run(), text.toString(),
          "not a fastpull lazy blob");
    }
    assertOneLineError(fastpull("layer", "export", text.toString(), out.toString()).run(),
        text.toString(), "not a fastpull lazy blob");
    assertOneLineError(fastpull("layer", "unpack", missing.toString(),
        tmp.resolve("tree").toString()).run(), "cannot read " + missing, "no such file");
    assertFalse(Files.exists(out));
    assertFalse(Files.exists(tmp.resolve("tree")));
  }

  // ---- helpers ----

  private static void assertOneLineError(LauncherRun.Result r, String... needles) {
    assertTrue(r.exitCode() != 0, () -> "expected a failure; stdout:\n" + r.stdout());
    String err = r.stderr().strip();
    assertEquals(1, err.lines().count(), () -> "one line, no stack trace:\n" + err);
    assertTrue(err.startsWith("fastpull: "), err);
    assertFalse(err.contains("Exception"), err);
    for (String n : needles) {
      assertTrue(err.contains(n), () -> "expected '" + n + "' in: " + err);
    }
  }

  private Path emptyLayerTar() throws IOException {
    return Files.write(tmp.resolve("empty-layer.tar"), new byte[1024]);
  }

  private Path packedSmallLayer() throws Exception {
    Path tar = Files.write(tmp.resolve("small.tar"), Layers.tar(w -> {
      Layers.dir(w, "./", 0755);
      Layers.dir(w, "./etc/", 0755);
      Layers.file(w, "./etc/motd", "hello\n".getBytes(StandardCharsets.UTF_8));
    }));
    Path blob = tmp.resolve("small.blob");
    fastpull("layer", "pack", tar.toString(), blob.toString()).run().expectExit(0);
    Files.delete(tar);
    return blob;
  }

  private Path packedBigLayer() throws Exception {
    Path tar = Files.write(tmp.resolve("big-src.tar"), bigLayer());
    Path blob = tmp.resolve("big.blob");
    fastpull("layer", "pack", tar.toString(), blob.toString()).run().expectExit(0);
    Files.delete(tar);
    return blob;
  }

  /** A layer of incompressible bytes, larger than the small file systems used here. */
  private static byte[] bigLayer() throws IOException {
    return Layers.tar(w -> {
      Layers.dir(w, "./", 0755);
      Layers.file(w, "./random", Layers.bytes(2 << 20, 5, false));
    });
  }

  private static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  /** One xattr as getfattr prints it (text form), or null if absent. */
  private static String getfattr(Path file, String name) throws Exception {
    Process p = new ProcessBuilder("getfattr", "-h", "--absolute-names", "--only-values", "-n",
        name, file.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return p.waitFor() == 0 ? out : null;
  }

  private static void assertSameTree(Path expected, Path actual) throws Exception {
    List<String> diff = TreeSnapshot.of(expected, true, false)
        .diff(TreeSnapshot.of(actual, true, false));
    assertEquals(List.of(), diff, String.join("\n", diff));
  }
}
