package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.BlobFooter;
import io.fastpull.format.BlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import io.fastpull.format.LazyLayer;
import io.fastpull.format.Privileges;
import io.fastpull.proto.containerd.snapshots.v1.Info;
import io.fastpull.proto.control.v1.LayerStatus;
import io.fastpull.proto.control.v1.LayersRequest;
import io.fastpull.proto.cri.v1.ImageServiceGrpc;
import io.fastpull.proto.cri.v1.ImageSpec;
import io.fastpull.proto.cri.v1.PullImageRequest;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.FaultProxy;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The product path end to end, all parts real: a lazy image in Debian's registry (behind a
 * counting proxy), containerd 1.6's CRI plugin pulling it through the fastpull daemon with its
 * real FUSE mounter, and runc running a container that reads files from several lazy layers.
 * No lazy layer is downloaded whole; reading a small file fetches only its chunks. Background fill
 * is off there, so that byte counts show what reads fetch rather than how long the test paused;
 * with it on, every chunk of every layer arrives without a read.
 */
class LazyPullTest {
  @TempDir Path dir;
  private LocalRegistry registry;
  private FaultProxy proxy;
  private SnapshotterDaemon daemon;
  private Containerd containerd;
  private CriClient cri;

  @BeforeEach
  void check() {
    Privileges.requireRoot();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (cri != null) {
        cri.close();
      }
      if (containerd != null) {
        containerd.close();
      }
    } finally {
      try {
        HostMounts.unmountAllUnder(dir);
      } finally {
        if (daemon != null) {
          daemon.close();
        }
        if (proxy != null) {
          proxy.close();
        }
        if (registry != null) {
          registry.close();
        }
      }
    }
  }

  /** One layer of the test image: its tar and, after conversion, its lazy blob. */
  record Layer(byte[] tar, byte[] blob, LayerWriter.Result result) {}

  static Layer convert(byte[] tar) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerWriter.Result r = new LayerWriter(LayerWriter.Options.defaults())
        .write(new ByteArrayInputStream(tar), out);
    return new Layer(tar, out.toByteArray(), r);
  }

  private static final String REF_PATH = "/fastpull/lazy:1";
  private final byte[] weights = Layers.bytes(24 << 20, 7, false);
  private DaemonConfig config;

  /**
   * Pushes the three-layer test image behind the counting proxy, starts the daemon (background
   * fill as given) and containerd, and pulls the image through CRI; the proxy counts from zero.
   */
  private List<Layer> pullThroughCri(boolean backgroundFill) throws Exception {
    List<Layer> layers = List.of(
        convert(ContainerdInteropTest.busyboxLayer()),
        convert(Layers.tar(w -> {
          Layers.dir(w, "etc/", 0755);
          Layers.file(w, "etc/greeting", "hello from a lazy layer\n".getBytes(StandardCharsets.UTF_8));
          Layers.dir(w, "models/", 0755);
          Layers.file(w, "models/weights.bin", weights);
          Layers.file(w, "models/old.txt", "old\n".getBytes(StandardCharsets.UTF_8));
        })),
        convert(Layers.tar(w -> {
          Layers.dir(w, "models/", 0755);
          Layers.file(w, "models/.wh.old.txt", new byte[0]);
          Layers.file(w, "models/config.json", "{\"layers\": 3}\n".getBytes(StandardCharsets.UTF_8));
        })));

    registry = LocalRegistry.builder(dir.resolve("registry")).start();
    proxy = FaultProxy.start(registry.host());
    String ref = proxy.host() + REF_PATH;
    ImageReference image = ImageReference.parse(ref);
    try (RegistryClient client = RegistryClient.builder().plainHttp(proxy.host()).build()) {
      List<Descriptor> descriptors = new ArrayList<>();
      List<String> diffIds = new ArrayList<>();
      for (Layer l : layers) {
        Digest d = client.pushBlob(image, l.blob());
        BlobFooter f = l.result().footer();
        descriptors.add(new Descriptor(LazyLayer.MEDIA_TYPE, d, l.blob().length,
            LazyLayer.annotations(f, l.result().diffId(), MediaTypes.OCI_LAYER_TAR, l.tar().length,
                l.result().diffId()), null, null));
        diffIds.add(l.result().diffId());
      }
      String configJson = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
          + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + String.join("\",\"", diffIds) + "\"]}}";
      byte[] configBytes = configJson.getBytes(StandardCharsets.UTF_8);
      Digest configDigest = client.pushBlob(image, configBytes);
      Manifest m = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length),
          descriptors);
      client.pushManifest(image, MediaTypes.OCI_MANIFEST, m.toJson());
    }
    proxy.reset();

    config = DaemonHarness.config(dir.resolve("d")).toBuilder()
        .lazy(true)
        .hostsDir(Optional.empty())
        .dockerConfig(Optional.empty())
        .plainHttp(List.of(proxy.host()))
        .readTimeout(Duration.ofSeconds(20))
        .cacheSizeBytes(256L << 20)
        .metricsAddress(Optional.of(new InetSocketAddress("127.0.0.1", 0)))
        .backgroundFetch(backgroundFill)
        .build();
    daemon = SnapshotterDaemon.builder(config).start();
    containerd = Containerd.start(dir.resolve("c"), config.socket(), proxy.host());

    cri = new CriClient(containerd.address);
    ImageServiceGrpc.ImageServiceBlockingStub images = cri.images();
    try {
      images.pullImage(PullImageRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(ref)).build());
    } catch (RuntimeException e) {
      throw new AssertionError(e + "\ncontainerd log:\n" + containerd.log(), e);
    }
    return layers;
  }

  @Test
  void criPullMountsLazyLayersAndRunsFromThem() throws Exception {
    List<Layer> layers = pullThroughCri(false);
    String ref = proxy.host() + REF_PATH;

    // Every layer became a committed remote snapshot; none was downloaded whole.
    List<Info> committed;
    try (DaemonClient client = new DaemonClient(config.socket())) {
      committed = client.calls.list("kind==committed");
    }
    assertEquals(3, committed.size(), committed::toString);
    for (Info i : committed) {
      assertTrue(i.getLabelsMap().containsKey(LazyLayer.LABEL_META), i::toString);
    }
    long weightsBlob = layers.get(1).blob().length;
    assertTrue(proxy.bodyBytes("/blobs/") < weightsBlob / 4,
        "blob bytes fetched by the pull: " + proxy.bodyBytes("/blobs/"));

    String out = containerd.ctr("-n", "k8s.io", "run", "--rm", "--snapshotter", "fastpull", ref,
        "fp-lazy", "/bin/sh", "-c",
        "cat /etc/greeting /models/config.json; ls /models; test -e /models/old.txt || echo gone");
    assertEquals("hello from a lazy layer\n{\"layers\": 3}\nconfig.json\nweights.bin\ngone",
        out.trim());
    long afterSmallReads = proxy.bodyBytes("/blobs/");
    assertTrue(afterSmallReads < weightsBlob / 4,
        "reading small files fetched " + afterSmallReads + " bytes of blobs");

    // Reading the big file fetches its chunks, verified, with the right bytes.
    String sum = containerd.ctr("-n", "k8s.io", "run", "--rm", "--snapshotter", "fastpull", ref,
        "fp-lazy2", "/bin/sh", "-c", "/bin/busybox sha256sum /models/weights.bin");
    String want = java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(weights));
    assertTrue(sum.startsWith(want), sum);
    Map<String, Long> report = new LinkedHashMap<>();
    report.put("image blob bytes", (long) layers.stream().mapToInt(l -> l.blob().length).sum());
    report.put("fetched for pull + small reads", afterSmallReads);
    report.put("fetched after reading 24 MiB file", proxy.bodyBytes("/blobs/"));
    System.out.println("lazy pull bytes: " + report);
  }

  @Test
  void withBackgroundFillEveryLayerArrivesWithoutARead() throws Exception {
    List<Layer> layers = pullThroughCri(true);
    String ref = proxy.host() + REF_PATH;
    try (DaemonClient client = new DaemonClient(config.socket())) {
      for (Layer layer : layers) {
        long chunkData = LayerBlob.open(BlobSource.of(layer.blob())).meta().chunkDataSize();
        String blob = Digest.sha256(layer.blob()).toString();
        LayerStatus s = awaitLayer(client, blob, l -> l.getBackgroundBytes() >= chunkData);
        assertEquals(chunkData, s.getBackgroundBytes(), "each chunk once: " + s);
      }
    }
    long filled = proxy.bodyBytes("/blobs/");
    assertTrue(filled >= layers.get(1).blob().length * 3L / 4, "blob bytes fetched: " + filled);

    // Every chunk is cached: reading the whole big file asks the registry for nothing more.
    String sum = containerd.ctr("-n", "k8s.io", "run", "--rm", "--snapshotter", "fastpull", ref,
        "fp-filled", "/bin/sh", "-c", "/bin/busybox sha256sum /models/weights.bin");
    String want = java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(weights));
    assertTrue(sum.startsWith(want), sum);
    assertEquals(filled, proxy.bodyBytes("/blobs/"), "the read found every chunk cached");
  }

  /** The layer's status once {@code ready} holds (polled, at most 120 s). */
  private static LayerStatus awaitLayer(DaemonClient client, String blob,
      Predicate<LayerStatus> ready) throws InterruptedException {
    Instant end = Instant.now().plusSeconds(120);
    LayerStatus last = null;
    while (Instant.now().isBefore(end)) {
      List<LayerStatus> l = client.control()
          .layers(LayersRequest.newBuilder().addBlobDigests(blob).build()).getLayersList();
      last = l.isEmpty() ? null : l.get(0);
      if (last != null && ready.test(last)) {
        return last;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("layer " + blob + " never got ready: " + last);
  }
}
