package io.fastpull.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.control.ControlException;
import io.fastpull.control.DaemonControl;
import io.fastpull.control.LayerActivity;
import io.fastpull.daemon.Containerd;
import io.fastpull.daemon.DaemonConfig;
import io.fastpull.daemon.HostMounts;
import io.fastpull.daemon.SnapshotterDaemon;
import io.fastpull.format.BlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.profile.StartupProfile;
import io.fastpull.progress.Progress;
import io.fastpull.pull.Node;
import io.fastpull.pull.Puller;
import io.fastpull.pull.TestImage;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import io.fastpull.run.PhaseRule;
import io.fastpull.run.Runner;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fastpull record} end to end on a real node (registry, fastpull daemon with FUSE,
 * containerd, runc): the startup of a small lazy image reads two small files and leaves a big one
 * alone; the recorded profile lists the chunks of those files, is pushed as a referrer of the
 * image manifest, and a cold node (fresh daemon and containerd) prefetches it on mount.
 */
class RecordTest {
  /** Reads two small files of layers 1 and 2, says so, then waits to be stopped. */
  private static final List<String> STARTUP = List.of("/bin/sh", "-c",
      "cat /etc/greeting /models/config.json; echo started; exec sleep 600");

  @TempDir static Path dir;
  private static Node node;
  private static RegistryClient client;

  @BeforeAll
  static void start() throws Exception {
    Node.requireRoot();
    node = Node.start(dir.resolve("node"));
    client = RegistryClient.builder().plainHttp(node.proxy.host()).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private static Path daemonSocket() {
    return node.dir.resolve("d/run/fastpull.sock");
  }

  private static TestImage.Pushed push(String name, long seed) throws IOException {
    return TestImage.pushLazy(client, node.proxy.host() + "/fastpull/" + name,
        TestImage.tars(4 << 20, seed), -1);
  }

  private static Digest manifestDigest(String ref) throws IOException {
    return client.fetchManifest(ImageReference.parse(ref)).descriptor().digest();
  }

  /** The chunk indexes file {@code path} reads in {@code layer}'s blob. */
  private static int[] fileChunks(String ref, Descriptor layer, String path) throws IOException {
    byte[] blob = client.readBlob(ImageReference.parse(ref), layer.digest(),
        Math.toIntExact(layer.size()));
    LayerMeta meta = LayerBlob.open(BlobSource.of(blob)).meta();
    return meta.fileChunks(meta.lookup(path).orElseThrow().ino());
  }

  private static boolean contains(int[] chunks, int[] wanted) {
    return Arrays.stream(wanted).allMatch(w -> IntStream.of(chunks).anyMatch(c -> c == w));
  }

  @Test
  void recordsTheChunksTheStartupReadsAndPushesThemAsAReferrer() throws Exception {
    TestImage.Pushed image = push("record:1", 41);
    Path file = dir.resolve("out/profile.json");
    Node.CtrResult r = Node.fastpull("record", "--address", node.address.toString(), "-n", "rec",
        "--snapshotter-socket", daemonSocket().toString(), "--plain-http", node.proxy.host(),
        "--until-log", "^started$", "--timeout", "90s", "--output", file.toString(),
        image.ref(), "--", STARTUP.get(0), STARTUP.get(1), STARTUP.get(2));
    System.out.println("sample fastpull record output:\n" + r.output());
    assertEquals(0, r.exit(), r.output());
    assertTrue(r.output().contains("phase until-log reached, stopping the container"),
        r.output());

    Digest manifest = manifestDigest(image.ref());
    StartupProfile profile = StartupProfile.fromJson(Files.readAllBytes(file));
    assertEquals(manifest.toString(), profile.image());
    List<String> digests = image.layers().stream().map(l -> l.digest().toString()).toList();
    List<String> recorded = profile.layers().stream().map(StartupProfile.Layer::digest).toList();
    assertEquals(recorded.stream().sorted((a, b) -> digests.indexOf(a) - digests.indexOf(b))
        .toList(), recorded, "image layer order");
    assertTrue(recorded.containsAll(digests.subList(1, 3)), recorded::toString);

    int[] layer1 = profile.chunksOf(digests.get(1)).orElseThrow();
    assertTrue(contains(layer1, fileChunks(image.ref(), image.layers().get(1), "etc/greeting")),
        () -> Arrays.toString(layer1));
    // No chunk of the unread weights is in the profile, except one it shares with a file read.
    int[] greeting = fileChunks(image.ref(), image.layers().get(1), "etc/greeting");
    int[] weightsOnly = IntStream.of(fileChunks(image.ref(), image.layers().get(1),
        "models/weights.bin")).filter(c -> IntStream.of(greeting).noneMatch(g -> g == c)).toArray();
    assertTrue(weightsOnly.length >= 4, () -> "weights chunks: " + Arrays.toString(weightsOnly));
    assertTrue(IntStream.of(weightsOnly).noneMatch(w -> IntStream.of(layer1).anyMatch(c -> c == w)),
        () -> "the unread weights are not in the profile: " + Arrays.toString(layer1)
            + ", weights chunks " + Arrays.toString(weightsOnly));
    int[] layer2 = profile.chunksOf(digests.get(2)).orElseThrow();
    assertTrue(contains(layer2, fileChunks(image.ref(), image.layers().get(2),
        "models/config.json")), () -> Arrays.toString(layer2));
    assertEquals(IntStream.of(layer1).distinct().count(), layer1.length, "each chunk once");

    Matcher pushed = Pattern.compile("pushed startup profile (sha256:[0-9a-f]{64}) ")
        .matcher(r.output());
    assertTrue(pushed.find(), r.output());
    List<Descriptor> referrers = client.referrers(ImageReference.parse(image.ref()), manifest,
        StartupProfile.ARTIFACT_TYPE);
    assertTrue(referrers.stream().anyMatch(d -> d.digest().toString().equals(pushed.group(1))),
        () -> pushed.group(1) + " not among " + referrers);
    assertTrue(r.output().contains("total: "), r.output());
  }

  @Test
  void failuresSayWhatToDo() throws Exception {
    Path nowhere = dir.resolve("nowhere.sock");
    TestImage.Pushed lazy = push("record:errors", 43);
    Node.CtrResult noDaemon = Node.fastpull("record", "--address", node.address.toString(),
        "--snapshotter-socket", nowhere.toString(), "--plain-http", node.proxy.host(),
        lazy.ref());
    assertEquals(1, noDaemon.exit(), noDaemon.output());
    assertTrue(noDaemon.output().contains(nowhere.toString())
        && noDaemon.output().contains("fastpull daemon"), noDaemon.output());

    String plain = TestImage.pushOrdinary(client, node.proxy.host() + "/fastpull/record:plain",
        TestImage.tars(1024, 47)).ref();
    Recorder.Options o = new Recorder.Options(runOptions(plain, "plain"), false,
        Optional.of(dir.resolve("plain.json")));
    RecordException notLazy = assertThrows(RecordException.class, () -> new Recorder(client, o,
        new PrintWriter(new StringWriter()), Clock.systemUTC(), "/usr/bin:/bin").record());
    assertEquals(RecordException.Kind.NOT_LAZY, notLazy.kind(), notLazy::getMessage);
    assertTrue(notLazy.getMessage().contains("fastpull convert"), notLazy::getMessage);
    assertFalse(Files.exists(dir.resolve("plain.json")));

    ControlException old = assertThrows(ControlException.class, () -> new Recorder(client,
        new Recorder.Options(runOptions(lazy.ref(), "old").withSnapshotterSocket(node.address),
            true, Optional.empty()), new PrintWriter(new StringWriter()), Clock.systemUTC(),
        "/usr/bin:/bin").record());
    assertEquals(ControlException.Kind.UNIMPLEMENTED, old.kind(), old::getMessage);

    Node.CtrResult nowhereToGo = Node.fastpull("record", "--no-push", lazy.ref());
    assertEquals(2, nowhereToGo.exit(), nowhereToGo.output());
    Node.CtrResult help = Node.fastpull("record", "--help");
    assertEquals(0, help.exit(), help.output());
    assertTrue(help.output().contains("/proc/sys/vm/drop_caches"), help.output());
    System.out.println("fastpull record --help:\n" + help.output());
  }

  private static Runner.Options runOptions(String ref, String ns) {
    return Runner.Options.of(ref, Puller.Options.defaults().withAddress(node.address)
            .withNamespace(ns))
        .withSnapshotterSocket(daemonSocket());
  }

  /** Needs the daemon's profile replay: a cold node finds the profile and prefetches it. */
  @Test
  void coldPullOfARecordedImagePrefetchesItsProfile() throws Exception {
    TestImage.Pushed image = push("record:cold", 53);
    Runner.Options run = new Runner.Options(image.ref(), STARTUP, Runner.Mode.LAZY,
        Puller.Options.defaults().withAddress(node.address).withNamespace("cold-rec"),
        List.of(), Optional.empty(), true, Optional.empty(), Duration.ZERO, false, List.of(),
        Optional.of(Duration.ofSeconds(90)), daemonSocket(), Optional.empty())
        .withStopAt(PhaseRule.parse("up=^started$"));
    StringWriter out = new StringWriter();
    Recorder.Result recorded = new Recorder(client, new Recorder.Options(run, true,
        Optional.empty()), new PrintWriter(out, true), Clock.systemUTC(), "/usr/bin:/bin")
        .record();
    assertTrue(recorded.referrer().isPresent(), out::toString);

    Path cold = dir.resolve("cold");
    DaemonConfig config = DaemonConfig.builder()
        .root(cold.resolve("d/root"))
        .socket(cold.resolve("d/run/fastpull.sock"))
        .metricsAddress(Optional.of(new InetSocketAddress("127.0.0.1", 0)))
        .shutdownTimeout(Duration.ofSeconds(5))
        .lazy(true)
        .hostsDir(Optional.empty())
        .dockerConfig(Optional.empty())
        .plainHttp(List.of(node.proxy.host()))
        .readTimeout(Duration.ofSeconds(20))
        .cacheSizeBytes(256L << 20)
        .build();
    try (SnapshotterDaemon daemon = SnapshotterDaemon.builder(config).start()) {
      try (Containerd containerd = Containerd.start(cold.resolve("c"), config.socket())) {
        try (Puller puller = Puller.open(client, Puller.Options.defaults()
            .withAddress(containerd.address).withNamespace("cold"), Progress.none(),
            Clock.systemUTC())) {
          puller.pull(image.ref());
        }
        // The daemon looks the profile up after the mount and queues its prefetch when the
        // lookup answers, so a layer reports source "none" until then: wait for that event.
        List<String> recordedDigests = recorded.profile().layers().stream()
            .map(StartupProfile.Layer::digest).toList();
        List<LayerActivity> layers;
        try (DaemonControl control = DaemonControl.open(config.socket())) {
          Instant end = Instant.now().plusSeconds(60);
          do {
            layers = control.layers().stream()
                .filter(a -> recordedDigests.contains(a.blobDigest())).toList();
            if (layers.size() == recordedDigests.size()
                && layers.stream().noneMatch(a -> a.prefetchSource().equals("none"))) {
              break;
            }
            Thread.sleep(50);
          } while (Instant.now().isBefore(end));
        }
        assertEquals(recorded.profile().layers().size(), layers.size(), layers::toString);
        for (LayerActivity a : layers) {
          assertEquals("profile", a.prefetchSource(), a::toString);
          assertNotEquals(0, a.prefetchChunks(), a::toString);
        }
      } finally {
        HostMounts.unmountAllUnder(cold, false);
      }
    } finally {
      HostMounts.unmountAllUnder(cold, true);
    }
  }
}
