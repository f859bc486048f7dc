package io.fastpull.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.BlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerExporter;
import io.fastpull.format.LazyLayer;
import io.fastpull.format.Oracle;
import io.fastpull.format.Privileges;
import io.fastpull.format.TreeSnapshot;
import io.fastpull.progress.Progress;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Index;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.ManifestContent;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.Platform;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.RegistryException;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fastpull convert} against the real registry: a three-layer image (busybox-static's and
 * libzstd1's installed files, and a layer of whiteouts) as a single manifest and as a multi-arch
 * index with an attestation, converted and checked layer by layer against {@code tar -x} of the
 * originals.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConvertTest {
  @TempDir static Path tmp;

  private LocalRegistry registry;
  private RegistryClient client;
  private List<TestImages.Layer> layers;
  private byte[] config;
  private Descriptor amd64;
  private Descriptor arm64;
  private Descriptor attestation;

  @BeforeAll
  void start() throws Exception {
    Privileges.requireRoot();
    registry = LocalRegistry.builder(tmp.resolve("registry")).start();
    client = RegistryClient.builder().plainHttp(registry.host()).build();
    Path scratch = Files.createDirectories(tmp.resolve("scratch"));
    layers = List.of(
        TestImages.gzip(TestImages.packageTar("busybox-static", scratch)),
        TestImages.zstd(TestImages.packageTar("libzstd1", scratch)),
        TestImages.gzip(TestImages.whiteoutTar(1)));
    config = TestImages.config("amd64", layers);
    amd64 = TestImages.push(client, ref("src:v1"), config, layers, Map.of("org.example.b", "2",
        "org.example.a", "1"));
    List<TestImages.Layer> armLayers = List.of(layers.get(0), TestImages.gzip(
        TestImages.whiteoutTar(2)));
    arm64 = TestImages.push(client, ref("src@" + Digest.sha256(new byte[0])),
        TestImages.config("arm64", armLayers), armLayers, null);
    // A BuildKit-style attestation: platform unknown/unknown, an in-toto "layer".
    byte[] statement = "{\"_type\":\"https://in-toto.io/Statement/v0.1\"}"
        .getBytes(StandardCharsets.UTF_8);
    client.pushBlob(ref("src:v1"), statement);
    byte[] attConfig = "{}".getBytes(StandardCharsets.UTF_8);
    client.pushBlob(ref("src:v1"), attConfig);
    byte[] att = new Manifest(2, MediaTypes.OCI_MANIFEST, null,
        Descriptor.of(MediaTypes.OCI_CONFIG, attConfig),
        List.of(Descriptor.of("application/vnd.in-toto+json", statement)), null, null).toJson();
    client.pushManifest(ref("src@" + Digest.sha256(att)), MediaTypes.OCI_MANIFEST, att);
    attestation = new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(att), att.length,
        Map.of("vnd.docker.reference.type", "attestation-manifest",
            "vnd.docker.reference.digest", amd64.digest().toString()),
        new Platform("unknown", "unknown", null, null, null), null);
    TestImages.pushIndex(client, ref("src:multi"), List.of(TestImages.at(amd64, "linux/amd64"),
        TestImages.at(arm64, "linux/arm64"), attestation));
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  private ImageReference ref(String repoAndTag) {
    return ImageReference.parse(registry.host() + "/" + repoAndTag);
  }

  private Converter.Result convert(String src, String dst, boolean merge, String platform)
      throws IOException {
    Converter.Options o = new Converter.Options(1 << 20, 3,
        Optional.ofNullable(platform).map(Platform::parse), merge, tmp.resolve("work"), 2, 2);
    return new Converter(client, o, Progress.none(), Clock.systemUTC())
        .convert(registry.host() + "/" + src, registry.host() + "/" + dst);
  }

  private Converter.Result convert(String src, String dst) throws IOException {
    Converter.Options o = Converter.Options.defaults(tmp.resolve("work"));
    return new Converter(client, o, Progress.none(), Clock.systemUTC())
        .convert(src, registry.host() + "/" + dst);
  }

  private Manifest manifest(ImageReference r) throws IOException {
    return client.fetchManifest(r).manifest();
  }

  @Test
  void lazyLayersHoldTheOriginalTrees() throws Exception {
    Converter.Result r = convert("src:v1", "lazy:v1", false, null);
    ManifestContent top = client.fetchManifest(ref("lazy:v1"));
    assertEquals(MediaTypes.OCI_MANIFEST, top.mediaType());
    assertEquals(r.digest(), top.digest());
    System.out.println("MANIFEST " + new String(top.bytes(), StandardCharsets.UTF_8));
    Manifest m = top.manifest();
    Manifest original = manifest(ref("src:v1"));
    assertEquals(original.config(), m.config(), "the original config, unchanged");
    assertTrue(client.blobExists(ref("lazy:v1"), m.config().digest()));
    assertEquals(Map.of(LazyLayer.IMAGE_VERSION, "1", "org.example.a", "1", "org.example.b", "2"),
        m.annotations());
    assertEquals(3, m.layers().size());
    for (int i = 0; i < 3; i++) {
      Descriptor lazy = m.layers().get(i);
      Descriptor src = original.layers().get(i);
      assertEquals(LazyLayer.MEDIA_TYPE, lazy.mediaType());
      Map<String, String> a = lazy.annotations();
      assertEquals(src.digest().toString(), a.get(LazyLayer.SOURCE_DIGEST));
      assertEquals(src.mediaType(), a.get(LazyLayer.SOURCE_MEDIA_TYPE));
      assertEquals(Long.toString(src.size()), a.get(LazyLayer.SOURCE_SIZE));
      assertEquals(layers.get(i).diffId(), a.get(LazyLayer.DIFF_ID));

      byte[] blob = client.readBlob(ref("lazy:v1"), lazy.digest(), 64 << 20);
      assertEquals(lazy.size(), blob.length);
      LayerBlob b = LayerBlob.open(BlobSource.of(blob));
      assertEquals(Optional.of(b.footer()), LazyLayer.fromAnnotations(a),
          "annotations describe the blob's own footer");
      assertEquals(b.meta().chunkCount(), b.verifyAllChunks());
      assertSameTree(layers.get(i).tar(), b, tmp.resolve("layer" + i));

      LayerStats s = r.images().get(0).layers().get(i);
      assertEquals(lazy.digest(), s.blob());
      assertEquals(src.digest(), s.source());
    }
  }

  private static void assertSameTree(byte[] originalTar, LayerBlob blob, Path dir)
      throws Exception {
    Path expected = Files.createDirectories(dir.resolve("expected"));
    Path actual = Files.createDirectories(dir.resolve("actual"));
    Oracle.extract(originalTar, expected);
    Oracle.overlayWhiteouts(expected);
    ByteArrayOutputStream exported = new ByteArrayOutputStream();
    LayerExporter.export(blob, LayerExporter.Whiteouts.OVERLAY, exported);
    Oracle.extract(exported.toByteArray(), actual);
    TreeSnapshot e = TreeSnapshot.of(expected, true, false);
    TreeSnapshot a = TreeSnapshot.of(actual, true, false);
    // Package tars carry no "./" entry: tar -x times the root "now", the blob's root has time 0.
    // The root of a layer is never applied (overlayfs uses the lower's), so it is not compared.
    e.entries().remove(".");
    a.entries().remove(".");
    List<String> diff = e.diff(a);
    assertEquals(List.of(), diff, String.join("\n", diff));
  }

  @Test
  void sameInputGivesSameDigestsAcrossRunsAndJvms() throws Exception {
    Converter.Result a = convert("src:v1", "again:a", false, null);
    Converter.Result b = convert("src:v1", "again:b", false, null);
    assertEquals(a.digest(), b.digest());
    Converter.Result ia = convert("src:multi", "again:ia", true, null);
    // Another JVM (another Map.copyOf iteration order) through the command line.
    String out = cli("convert", "--plain-http", registry.host(), "--merge-index",
        "--work-dir", tmp.resolve("cli-work").toString(),
        registry.host() + "/src:multi", registry.host() + "/again:ib");
    assertTrue(out.contains(ia.digest().toString()), out);
    assertEquals(ia.digest(), client.resolve(ref("again:ib")).digest());
    cli("convert", "--plain-http", registry.host(), registry.host() + "/src:v1",
        registry.host() + "/again:c");
    assertEquals(a.digest(), client.resolve(ref("again:c")).digest());
  }

  @Test
  void indexConvertsEachPlatformAndSkipsAttestations() throws Exception {
    Converter.Result r = convert("src:multi", "multi:lazy", false, null);
    ManifestContent top = client.fetchManifest(ref("multi:lazy"));
    assertEquals(MediaTypes.OCI_INDEX, top.mediaType());
    Index index = top.index();
    assertEquals(List.of("linux/amd64", "linux/arm64"), index.manifests().stream()
        .map(d -> d.platform().toString()).toList());
    for (Descriptor d : index.manifests()) {
      assertEquals("1", d.annotations().get(LazyLayer.IMAGE_VERSION));
      Manifest m = manifest(ref("multi@" + d.digest()));
      assertTrue(m.layers().stream().allMatch(l -> l.mediaType().equals(LazyLayer.MEDIA_TYPE)));
    }
    // The busybox layer is shared by both platforms: one lazy blob.
    assertEquals(r.images().get(0).layers().get(0).blob(),
        r.images().get(1).layers().get(0).blob());

    Converter.Result one = convert("src:multi", "multi:arm", false, "linux/arm64");
    assertEquals(1, one.images().size());
    assertEquals(Platform.parse("linux/arm64"), one.images().get(0).platform());
    assertEquals(r.images().get(1).converted(), one.images().get(0).converted());
    ConvertException none = assertThrows(ConvertException.class,
        () -> convert("src:multi", "multi:s390x", false, "linux/s390x"));
    assertEquals(ConvertException.Kind.NO_MATCHING_PLATFORM, none.kind());
  }

  @Test
  void mergeIndexListsOriginalsThenLazyManifests() throws Exception {
    convert("src:multi", "merged:v1", true, null);
    Index index = client.fetchManifest(ref("merged:v1")).index();
    List<Descriptor> entries = index.manifests();
    assertEquals(5, entries.size());
    assertEquals(List.of(amd64.digest(), arm64.digest(), attestation.digest()),
        entries.subList(0, 3).stream().map(Descriptor::digest).toList());
    assertEquals(List.of("linux/amd64", "linux/arm64"), entries.subList(3, 5).stream()
        .map(d -> d.platform().toString()).toList());
    for (Descriptor d : entries.subList(3, 5)) {
      assertEquals("1", d.annotations().get(LazyLayer.IMAGE_VERSION));
    }
    for (Descriptor d : entries.subList(0, 3)) {
      assertFalse(d.annotations().containsKey(LazyLayer.IMAGE_VERSION));
      Manifest m = manifest(ref("merged@" + d.digest()));
      for (Descriptor l : m.layers()) {
        assertTrue(client.blobExists(ref("merged:v1"), l.digest()), "original blob copied");
      }
    }
    // A node without fastpull picks the original, as containerd does (first match).
    assertEquals(amd64.digest(), index.select(Platform.parse("linux/amd64")).get().digest());

    convert("src:v1", "merged:single", true, null);
    Index single = client.fetchManifest(ref("merged:single")).index();
    assertEquals(2, single.manifests().size());
    assertEquals(amd64.digest(), single.manifests().get(0).digest());
    assertEquals(Platform.parse("linux/amd64"), single.manifests().get(1).platform());
  }

  @Test
  void alreadyConvertedImageFailsAndTagsNothing() throws Exception {
    convert("src:v1", "conv:v1", false, null);
    convert("src:multi", "conv:merged", true, null);
    for (String src : List.of("conv:v1", "conv:merged")) {
      ConvertException e = assertThrows(ConvertException.class,
          () -> convert(src, "twice:x", false, null));
      assertEquals(ConvertException.Kind.ALREADY_CONVERTED, e.kind());
      assertTrue(e.getMessage().contains(registry.host() + "/" + src), e.getMessage());
    }
    assertNotTagged(ref("twice:x"));
    assertEquals(0, registry.countRequests("PUT", "/v2/twice/"));
    assertEquals(0, registry.countRequests("POST", "/v2/twice/"));

    Cli failed = cliRun("convert", "--plain-http", registry.host(), registry.host() + "/conv:v1",
        registry.host() + "/twice:y");
    assertEquals(1, failed.exit(), failed.err());
    assertTrue(failed.err().startsWith("fastpull: ") && failed.err().strip().lines().count() == 1,
        failed.err());
    assertTrue(failed.err().contains("already a fastpull lazy image"), failed.err());
    System.out.println("ALREADY " + failed.err());
  }

  @Test
  void unknownLayerMediaTypeFailsClearly() throws Exception {
    TestImages.Layer odd = TestImages.raw(TestImages.whiteoutTar(3), "application/vnd.example.odd");
    TestImages.push(client, ref("odd:v1"), TestImages.config("amd64", List.of(layers.get(0), odd)),
        List.of(layers.get(0), odd), null);
    ConvertException e = assertThrows(ConvertException.class,
        () -> convert("odd:v1", "odd-lazy:v1", false, null));
    assertEquals(ConvertException.Kind.UNSUPPORTED_MEDIA_TYPE, e.kind());
    System.out.println("UNKNOWN " + e.getMessage());
    assertTrue(e.getMessage().contains("application/vnd.example.odd")
        && e.getMessage().contains(odd.descriptor().digest().toString()), e.getMessage());
    assertNotTagged(ref("odd-lazy:v1"));
  }

  @Test
  void missingBlobFailsWithoutTagging() throws Exception {
    List<TestImages.Layer> ls = List.of(layers.get(0), TestImages.gzip(TestImages.whiteoutTar(4)),
        layers.get(2));
    TestImages.push(client, ref("holey:v1"), TestImages.config("amd64", ls), ls, null);
    Digest gone = ls.get(1).descriptor().digest();
    Path data = registry.blobDataFile(gone.toString());
    Files.delete(data);
    Files.delete(data.getParent());
    ConvertException e = assertThrows(ConvertException.class,
        () -> convert("holey:v1", "holey-lazy:v1", false, null));
    assertEquals(ConvertException.Kind.MISSING_CONTENT, e.kind(), e.getMessage());
    System.out.println("MISSING " + e.getMessage());
    assertTrue(e.getMessage().contains(gone.toString()), e.getMessage());
    assertNotTagged(ref("holey-lazy:v1"));
    assertEquals(0, registry.countRequests("PUT", "/v2/holey-lazy/manifests/"));
  }

  @Test
  void ociLayoutSourceConvertsLikeTheRegistryImage() throws Exception {
    Path layout = tmp.resolve("layout");
    TestImages.run(List.of("skopeo", "copy", "--src-tls-verify=false",
        "docker://" + registry.host() + "/src:v1", "oci:" + layout + ":v1"), tmp);
    Converter.Result fromLayout = convert("oci:" + layout + ":v1", "from-oci:v1");
    Manifest m = manifest(ref("from-oci:v1"));
    assertEquals(manifest(ref("src:v1")).config().digest(), m.config().digest());
    assertEquals(3, m.layers().size());
    // skopeo keeps the layer blobs, so the lazy blobs equal those converted from the registry.
    Converter.Result fromRegistry = convert("src:v1", "from-oci:reg", false, null);
    assertEquals(fromRegistry.images().get(0).layers().stream().map(LayerStats::blob).toList(),
        fromLayout.images().get(0).layers().stream().map(LayerStats::blob).toList());
    ConvertException e = assertThrows(ConvertException.class,
        () -> convert("oci:" + layout + ":nope", "from-oci:x"));
    assertEquals(ConvertException.Kind.MISSING_CONTENT, e.kind());
  }

  @Test
  void dockerArchiveSourceConvertsLikeTheRegistryImage() throws Exception {
    // Docker archives cannot hold zstd layers: the same image with all layers gzip.
    List<TestImages.Layer> gz = List.of(layers.get(0), TestImages.gzip(layers.get(1).tar()),
        layers.get(2));
    TestImages.push(client, ref("src:gz"), config, gz, null);
    Path archive = tmp.resolve("saved.tar");
    TestImages.run(List.of("skopeo", "copy", "--src-tls-verify=false",
        "docker://" + registry.host() + "/src:gz", "docker-archive:" + archive + ":src:gz"), tmp);
    Converter.Result fromArchive = convert("docker-archive:" + archive, "from-archive:v1");
    Manifest m = manifest(ref("from-archive:v1"));
    assertEquals(manifest(ref("src:v1")).config().digest(), m.config().digest());
    // docker save stores layers uncompressed: the same tars give the same lazy blobs.
    Converter.Result fromRegistry = convert("src:gz", "from-archive:reg", false, null);
    assertEquals(fromRegistry.images().get(0).layers().stream().map(LayerStats::blob).toList(),
        fromArchive.images().get(0).layers().stream().map(LayerStats::blob).toList());
    assertNotEquals(fromRegistry.digest(), fromArchive.digest(),
        "source annotations differ: the archive's layers are plain tars");
    Converter.Options o = new Converter.Options(1 << 20, 3, Optional.empty(), true,
        tmp.resolve("work"), 2, 2);
    new Converter(client, o, Progress.none(), Clock.systemUTC()).convert("docker-archive:" + archive,
        registry.host() + "/from-archive:merged");
    Index merged = client.fetchManifest(ref("from-archive:merged")).index();
    assertEquals(2, merged.manifests().size());
    for (Descriptor l : manifest(ref("from-archive@" + merged.manifests().get(0).digest()))
        .layers()) {
      assertEquals(MediaTypes.OCI_LAYER_TAR, l.mediaType());
      assertTrue(client.blobExists(ref("from-archive:merged"), l.digest()));
    }
  }

  private void assertNotTagged(ImageReference r) {
    RegistryException e = assertThrows(RegistryException.class, () -> client.resolve(r));
    assertEquals(RegistryException.Kind.NOT_FOUND, e.kind());
  }

  record Cli(int exit, String out, String err) {}

  private String cli(String... args) throws Exception {
    Cli r = cliRun(args);
    assertEquals(0, r.exit(), r.out() + r.err());
    return r.out();
  }

  /** Runs {@code fastpull ARGS} in a fresh JVM. */
  private Cli cliRun(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-cp", System.getProperty("java.class.path"), "io.fastpull.cli.Main"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "cli", ".out");
    Path err = Files.createTempFile(tmp, "cli", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .start();
    try {
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "fastpull " + String.join(" ", args));
      return new Cli(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      p.destroyForcibly();
    }
  }
}
