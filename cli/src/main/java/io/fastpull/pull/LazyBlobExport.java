package io.fastpull.pull;

import io.fastpull.format.BlobSource;
import io.fastpull.format.FileBlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerExporter;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.RegistryClient;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.LongConsumer;

/**
 * The layer tar of a lazy layer rebuilt from the lazy blob itself, for when the snapshotter did not
 * mount it and the image does not publish the original layer ({@code fastpull convert} pushes only
 * lazy blobs unless it merges indexes). The blob is downloaded (its digest checked by the registry
 * client), every chunk is checked again while its tree is exported as an OCI layer tar, the same
 * files, modes, owners, times, xattrs, links and whiteouts the original had (not its bytes: the
 * tar's digest differs from the config's diff_id). Both go into a private temporary directory,
 * removed by {@link #close()}.
 */
final class LazyBlobExport implements AutoCloseable {
  private static final int BUFFER = 1 << 20;

  /**
   * @param tar the exported tar: media type {@link MediaTypes#OCI_LAYER_TAR}, its digest and size
   * @param file where it is, until {@link #close()}
   * @param downloaded bytes read from the registry
   */
  record Tar(Descriptor tar, Path file, long downloaded) {}

  private final Path work;

  private LazyBlobExport(Path work) {
    this.work = work;
  }

  static LazyBlobExport create() throws IOException {
    return new LazyBlobExport(Files.createTempDirectory("fastpull-pull-"));
  }

  /** Downloads lazy layer {@code layer} from {@code repo} and exports its tar. */
  Tar export(RegistryClient registry, ImageReference repo, Descriptor layer, LongConsumer progress)
      throws IOException {
    Path blob = work.resolve(layer.digest().hex() + ".blob");
    long read = 0;
    try (InputStream in = registry.openBlob(repo, layer.digest());
        OutputStream out = Files.newOutputStream(blob)) {
      byte[] buf = new byte[BUFFER];
      for (int n; (n = in.read(buf)) > 0; ) {
        out.write(buf, 0, n);
        read += n;
        progress.accept(read);
      }
    }
    Path tar = work.resolve(layer.digest().hex() + ".tar");
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    try (FileBlobSource src = BlobSource.open(blob);
        OutputStream out = new DigestOutputStream(
            new BufferedOutputStream(Files.newOutputStream(tar), BUFFER), sha)) {
      LayerExporter.export(LayerBlob.open(src), LayerExporter.Whiteouts.OCI, out);
    }
    Files.delete(blob);
    Digest digest = Digest.parse("sha256:" + HexFormat.of().formatHex(sha.digest()));
    return new Tar(Descriptor.of(MediaTypes.OCI_LAYER_TAR, digest, Files.size(tar)), tar, read);
  }

  @Override
  public void close() throws IOException {
    if (!Files.exists(work)) {
      return;
    }
    Files.walkFileTree(work, new SimpleFileVisitor<>() {
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
