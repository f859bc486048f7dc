package io.fastpull.format;

import static io.fastpull.format.Layers.bytes;
import static io.fastpull.format.Layers.dir;
import static io.fastpull.format.Layers.file;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import java.io.ByteArrayOutputStream;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The oracle: a layer tar extracted by GNU tar (whiteouts rewritten the way overlayfs stores
 * them) must equal the lazy blob of that tar exported and extracted again. Every file type,
 * attribute and chunk boundary is crossed, at the smallest chunk size and the default.
 */
class RoundTripTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(ints = {4096, 1 << 20})
  void unpackedBlobEqualsTarExtraction(int chunk) throws Exception {
    Privileges.requireRoot();
    byte[] tar = Oracle.richLayer(chunk);
    byte[] blob = Layers.blob(tar, LayerWriter.Options.withChunkSize(chunk).withThreads(2));

    Path expected = Files.createDirectory(tmp.resolve("expected"));
    Oracle.extract(tar, expected);
    Oracle.overlayWhiteouts(expected);
    Path actual = Files.createDirectory(tmp.resolve("actual"));
    LayerBlob b = LayerBlob.open(BlobSource.of(blob));
    ByteArrayOutputStream exported = new ByteArrayOutputStream();
    LayerExporter.export(b, LayerExporter.Whiteouts.OVERLAY, exported);
    Oracle.extract(exported.toByteArray(), actual);

    List<String> diff = TreeSnapshot.of(expected, true, false).diff(TreeSnapshot.of(actual, true,
        false));
    assertEquals(List.of(), diff, String.join("\n", diff));
    assertEquals(b.meta().chunkCount(), b.verifyAllChunks());
  }

  @ParameterizedTest
  @ValueSource(ints = {4096, 1 << 20})
  void ociExportGivesBackTheSameLayer(int chunk) throws Exception {
    Privileges.requireRoot();
    byte[] tar = Oracle.richLayer(chunk);
    LayerBlob b = LayerBlob.open(BlobSource.of(Layers.blob(tar,
        LayerWriter.Options.withChunkSize(chunk))));
    ByteArrayOutputStream oci = new ByteArrayOutputStream();
    LayerExporter.export(b, LayerExporter.Whiteouts.OCI, oci);
    Path expected = Files.createDirectory(tmp.resolve("e"));
    Path actual = Files.createDirectory(tmp.resolve("a"));
    Oracle.extract(tar, expected);
    Oracle.extract(oci.toByteArray(), actual);
    // Whiteout markers come back at the same paths; their own mode and time are not layer
    // content (no applier keeps them), so only their presence is compared.
    TreeSnapshot e = TreeSnapshot.of(expected, true, false);
    TreeSnapshot a = TreeSnapshot.of(actual, true, false);
    assertEquals(markers(e), markers(a));
    e.entries().keySet().removeIf(RoundTripTest::isMarker);
    a.entries().keySet().removeIf(RoundTripTest::isMarker);
    List<String> diff = e.diff(a);
    assertEquals(List.of(), diff, String.join("\n", diff));
  }

  static boolean isMarker(String path) {
    return Path.of(path).getFileName().toString().startsWith(".wh.");
  }

  static List<String> markers(TreeSnapshot t) {
    return t.entries().keySet().stream().filter(RoundTripTest::isMarker).sorted().toList();
  }
}
