package io.fastpull.cli;

import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerExporter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Unpacks a lazy blob into a directory by piping its verified export to GNU tar, which creates
 * devices, fifos, owners and xattrs (of every namespace) that the JDK cannot.
 */
final class Unpacker {
  private Unpacker() {}

  static void unpack(LayerBlob blob, Path dir) throws IOException, InterruptedException {
    List<String> cmd = List.of("tar", "-x", "-p", "--numeric-owner", "--xattrs",
        "--xattrs-include=*", "--same-owner", "-f", "-", "-C", dir.toString());
    // tar's complaints go to a file: a pipe nobody drains could block it while we write.
    Path errFile = Files.createTempFile("fastpull-unpack-", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(errFile.toFile()).start();
      try (OutputStream out = new BufferedOutputStream(p.getOutputStream(), 1 << 20)) {
        LayerExporter.export(blob, LayerExporter.Whiteouts.OVERLAY, out);
      } catch (IOException e) {
        p.destroy();
        throw e;
      }
      int rc = p.waitFor();
      String err = Files.readString(errFile, StandardCharsets.UTF_8).strip();
      if (rc != 0) {
        throw new IOException("tar -x into " + dir + " failed (exit " + rc + "): " + err);
      }
    } finally {
      Files.deleteIfExists(errFile);
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
        Files.delete(f);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
