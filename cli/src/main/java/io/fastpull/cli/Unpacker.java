package io.fastpull.cli;

import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerExporter;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Unpacks a lazy blob into a directory by piping its verified export to GNU tar, which creates
 * devices, fifos, owners and xattrs (of every namespace) that the JDK cannot.
 */
final class Unpacker {
  private Unpacker() {}

  /**
   * Extracts {@code blob} into {@code dir}.
   *
   * @param blobFile the blob's path, named when reading it fails
   * @param shown the directory as the user named it, named when {@code tar -x} fails ({@code dir}
   *     may be a temporary directory next to it)
   * @throws IOException naming {@code blobFile} if the blob is damaged, or {@code shown} with tar's
   *     own words if tar fails; {@code dir} then holds part of the layer
   */
  static void unpack(LayerBlob blob, Path blobFile, Path dir, Path shown)
      throws IOException, InterruptedException {
    List<String> cmd = List.of("tar", "-x", "-p", "--numeric-owner", "--xattrs",
        "--xattrs-include=*", "--same-owner", "-f", "-", "-C", dir.toString());
    // tar's complaints go to a file: a pipe nobody drains could block it while we write.
    Path errFile = Files.createTempFile("fastpull-unpack-", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(errFile.toFile()).start();
      Pipe pipe = new Pipe(p.getOutputStream());
      IOException exportFailure = null;
      try (OutputStream out = new BufferedOutputStream(pipe, 1 << 20)) {
        LayerExporter.export(blob, LayerExporter.Whiteouts.OVERLAY, out);
      } catch (IOException e) {
        exportFailure = e;
      }
      // tar has its end of input now, complete or not, and ends.
      int rc = p.waitFor();
      if (exportFailure != null && !pipe.failed) {
        // The blob failed: tar's complaint about the cut-off archive is only a consequence.
        throw new IOException(blobFile + ": " + exportFailure.getMessage(), exportFailure);
      }
      if (rc != 0) {
        // One line for the user: tar's complaints joined, without its closing summary.
        String err = Files.readString(errFile, StandardCharsets.UTF_8).lines()
            .filter(l -> !l.isBlank() && !l.contains("Exiting with failure status"))
            .collect(Collectors.joining("; "));
        throw new IOException("cannot unpack into " + shown + ": tar -x failed (exit " + rc
            + "): " + err.replace(dir.toString(), shown.toString()));
      }
      if (exportFailure != null) {
        throw new IOException("cannot unpack into " + shown + ": " + exportFailure.getMessage(),
            exportFailure);
      }
    } finally {
      Files.deleteIfExists(errFile);
    }
  }

  /** tar's input; remembers whether a write failed (tar ended early) rather than the blob. */
  private static final class Pipe extends FilterOutputStream {
    boolean failed;

    Pipe(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
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
