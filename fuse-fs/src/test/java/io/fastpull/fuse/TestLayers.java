package io.fastpull.fuse;

import io.fastpull.format.Oracle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Layer tars for mount tests, and the tar-x oracle they are compared with. */
final class TestLayers {
  private TestLayers() {}

  /** Every file type, owner, mode bit, xattr namespace, link kind and whiteout form. */
  static byte[] rich(int chunk) throws IOException {
    return Oracle.richLayer(chunk);
  }

  static void extract(byte[] tar, Path dir) throws IOException, InterruptedException {
    Oracle.extract(tar, dir);
  }

  static void overlayWhiteouts(Path root) throws IOException, InterruptedException {
    Oracle.overlayWhiteouts(root);
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
