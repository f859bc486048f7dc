package io.fastpull.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.progress.Progress;
import io.fastpull.pull.LayerResult.Outcome;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.RegistryClient;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fastpull pull} end to end, all parts real: images in Debian's registry behind a counting
 * proxy, the fastpull daemon with its FUSE mounter, containerd 1.6 and runc. Each test uses its
 * own containerd namespace. Background fill is off, so that the proxy's byte counts show what the
 * pull and the container's reads fetch, not how long the test paused (LazyPullTest shows the fill).
 */
class PullTest {
  @TempDir static Path dir;
  private static Node node;
  private static RegistryClient client;

  @BeforeAll
  static void start() throws Exception {
    Node.requireRoot();
    node = Node.start(dir, b -> b.backgroundFetch(false));
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

  private static Puller puller(String namespace, List<LayerResult> seen) throws PullException {
    Progress<LayerResult> p = new Progress<>() {
      @Override
      public void layerDone(Descriptor layer, LayerResult r) {
        seen.add(r);
      }
    };
    return Puller.open(client, Puller.Options.defaults().withAddress(node.address)
        .withNamespace(namespace), p, Clock.systemUTC());
  }

  private static List<Outcome> outcomes(Puller.Result r) {
    return r.layers().stream().map(LayerResult::outcome).toList();
  }

  private static String runCat(String ns, String image, String id) throws Exception {
    return node.ctr("-n", ns, "run", "--rm", "--snapshotter", "fastpull", image, id,
        "/bin/sh", "-c",
        "cat /etc/greeting /models/config.json; ls /models; test -e /models/old.txt || echo gone");
  }

  @Test
  void lazyImageIsMountedNotDownloadedRunsAndIsCollected() throws Exception {
    String ns = "lazy";
    TestImage.Pushed image = TestImage.pushLazy(client, node.proxy.host() + "/fastpull/lazy:1",
        TestImage.tars(16 << 20, 7), -1);
    node.proxy.reset();

    List<LayerResult> seen = new ArrayList<>();
    Puller.Result r;
    try (Puller puller = puller(ns, seen)) {
      r = puller.pull(image.ref());
    }
    // the busybox base is in every test image: another test may have mounted it already
    assertEquals(List.of(Outcome.LAZY, Outcome.LAZY), outcomes(r).subList(1, 3),
        () -> r + "\n" + logSafe());
    assertTrue(r.layers().get(0).outcome().lazy(), r::toString);
    assertEquals(r.layers(), seen);
    assertEquals(0, r.bytesDownloaded());
    long bigBlob = image.layers().get(1).size();
    long afterPull = node.proxy.bodyBytes("/blobs/");
    assertTrue(afterPull < bigBlob / 4, "blob bytes fetched by the pull: " + afterPull);

    String name = node.proxy.host() + "/fastpull/lazy:1";
    assertTrue(node.ctr("-n", ns, "images", "ls", "-q").lines().anyMatch(name::equals),
        () -> "ctr images ls does not list " + name);

    assertEquals(TestImage.EXPECTED + "\ngone", runCat(ns, name, "fp-pull-lazy").trim());
    long afterRun = node.proxy.bodyBytes("/blobs/");
    assertTrue(afterRun < image.layerBytes() / 4, "reading small files fetched " + afterRun
        + " of " + image.layerBytes() + " blob bytes");
    System.out.printf("lazy pull: image layer blobs %d bytes, fetched by pull %d, after run %d%n",
        image.layerBytes(), afterPull, afterRun);

    // Pulling again finds every snapshot in place, lazy.
    try (Puller puller = puller(ns, new ArrayList<>())) {
      assertEquals(List.of(Outcome.EXISTS_LAZY, Outcome.EXISTS_LAZY, Outcome.EXISTS_LAZY),
          outcomes(puller.pull(image.ref())));
    }

    // The snapshots live as long as the image: removing it lets GC take them.
    assertTrue(snapshots(ns).size() >= 3, () -> "snapshots: " + snapshotsSafe(ns));
    node.ctr("-n", ns, "images", "rm", "--sync", name);
    List<String> left = snapshots(ns);
    for (int i = 0; i < 20 && !left.isEmpty(); i++) {
      // containerd's scheduler paces GC and skips a pass after a retried removal: force one
      String lease = "fastpull-gc-" + i;
      node.ctr("-n", ns, "leases", "create", "--id", lease);
      node.ctr("-n", ns, "leases", "delete", "--sync", lease);
      Thread.sleep(100);
      left = snapshots(ns);
    }
    assertEquals(List.of(), left);
  }

  @Test
  void ordinaryImageIsDownloadedAndAppliedThroughTheDiffService() throws Exception {
    String ns = "ordinary";
    TestImage.Pushed image = TestImage.pushOrdinary(client,
        node.proxy.host() + "/fastpull/plain:1", TestImage.tars(2 << 20, 11));
    Puller.Result r;
    try (Puller puller = puller(ns, new ArrayList<>())) {
      r = puller.pull(image.ref());
    }
    assertEquals(Outcome.DOWNLOADED, r.layers().get(1).outcome(), r::toString);
    assertEquals(Outcome.DOWNLOADED, r.layers().get(2).outcome(), r::toString);
    assertTrue(r.bytesDownloaded() >= image.layers().get(1).size(), r::toString);
    assertEquals(TestImage.EXPECTED + "\ngone", runCat(ns, image.ref(), "fp-pull-plain").trim());
  }

  @Test
  void lazyLayerTheSnapshotterDeclinesIsUnpackedFromItsOriginal() throws Exception {
    String ns = "declined";
    TestImage.Pushed image = TestImage.pushLazy(client, node.proxy.host() + "/fastpull/broken:1",
        TestImage.tars(1 << 20, 13), 1);
    Puller.Result r;
    try (Puller puller = puller(ns, new ArrayList<>())) {
      r = puller.pull(image.ref());
    }
    assertEquals(Outcome.DOWNLOADED, r.layers().get(1).outcome(), r::toString);
    assertEquals(Outcome.LAZY, r.layers().get(2).outcome(), r::toString);
    assertTrue(r.bytesDownloaded() > 0, r::toString);
    assertEquals(TestImage.EXPECTED + "\ngone", runCat(ns, image.ref(), "fp-pull-declined").trim());
  }

  @Test
  void commandLinePullPrintsOneLinePerLayer() throws Exception {
    TestImage.Pushed image = TestImage.pushLazy(client, node.proxy.host() + "/fastpull/cli:1",
        TestImage.tars(1 << 20, 19), -1);
    Node.CtrResult r = Node.fastpull("pull", "--address", node.address.toString(), "-n", "cli",
        "--plain-http", node.proxy.host(), image.ref());
    assertEquals(0, r.exit(), r.output());
    assertEquals(3, r.output().lines()
        .filter(l -> l.matches("layer \\w{12} .*: mounted lazily \\(layer \\d\\)")).count(),
        r.output());
    assertTrue(r.output().contains("pulled " + image.ref()), r.output());
    System.out.println("sample fastpull pull output:\n" + r.output());
    Node.CtrResult again = Node.fastpull("pull", "--address", node.address.toString(), "-n",
        "cli", "--plain-http", node.proxy.host(), image.ref());
    assertEquals(3, again.output().lines()
        .filter(l -> l.contains(": already present, mounted lazily ")).count(),
        again.output());

    Node.CtrResult missing = Node.fastpull("pull", "--address", node.address.toString(),
        "--snapshotter", "nosuch", "--plain-http", node.proxy.host(), image.ref());
    assertEquals(1, missing.exit(), missing.output());
    assertTrue(missing.output().contains("fastpull install"), missing.output());
  }

  /**
   * The CLI may reach a registry the daemon may not (here: plain HTTP allowed to the CLI, and to
   * the daemon only for the proxy), and a converted image publishes no original layers: the pull
   * says per layer that it was not mounted lazily and why, and unpacks the lazy blob itself.
   */
  @Test
  void lazyLayerTheDaemonCannotReachSaysWhyAndIsUnpackedFromTheLazyBlob() throws Exception {
    String host = node.registry.host();
    TestImage.Pushed image;
    try (RegistryClient direct = RegistryClient.builder().plainHttp(host).build()) {
      image = TestImage.pushLazy(direct, host + "/fastpull/unreachable:1",
          TestImage.tars(1 << 20, 37), -1, false);
    }
    Node.CtrResult r = Node.fastpull("pull", "--address", node.address.toString(), "-n",
        "unreachable", "--plain-http", host, image.ref());
    assertEquals(0, r.exit(), r.output());
    // the data layers are this image's own (the busybox base may be another test's lazy mount)
    for (int i = 1; i < 3; i++) {
      String digest = image.layers().get(i).digest().toString();
      String line = r.output().lines().filter(l -> l.startsWith("layer " + digest + " not "))
          .findFirst().orElseThrow(() -> new AssertionError(r.output()));
      assertTrue(line.startsWith("layer " + digest + " not mounted lazily: the fastpull daemon "
          + "could not mount it: "), line);
      assertTrue(line.contains(host) && line.endsWith("; downloading it instead"), line);
      assertTrue(r.output().contains("layer " + digest + ": its original layer "), r.output());
      String downloaded = "layer " + digest.substring(7, 19) + " ";
      String what = ": downloaded and unpacked (layer " + i + ")";
      assertTrue(r.output().lines().anyMatch(l -> l.startsWith(downloaded) && l.endsWith(what)),
          r.output());
    }
    System.out.println("sample pull the daemon could not mount lazily:\n" + r.output());
    assertEquals(TestImage.EXPECTED + "\ngone",
        runCat("unreachable", image.ref(), "fp-pull-unreachable").trim());
  }

  @Test
  void failuresSayWhatToDo() throws Exception {
    PullException noSocket = assertThrows(PullException.class, () -> Puller.open(client,
        Puller.Options.defaults().withAddress(dir.resolve("nowhere.sock")), Progress.none(),
        Clock.systemUTC()));
    assertEquals(PullException.Kind.CONTAINERD_UNAVAILABLE, noSocket.kind());
    assertTrue(noSocket.getMessage().contains("--address"), noSocket::getMessage);

    TestImage.Pushed image = TestImage.pushOrdinary(client,
        node.proxy.host() + "/fastpull/tiny:1", TestImage.tars(1024, 17));
    try (Puller puller = Puller.open(client, Puller.Options.defaults().withAddress(node.address)
        .withNamespace("errors").withSnapshotter("nosuch"), Progress.none(), Clock.systemUTC())) {
      PullException e = assertThrows(PullException.class, () -> puller.pull(image.ref()));
      assertEquals(PullException.Kind.SNAPSHOTTER_NOT_CONFIGURED, e.kind(), e::toString);
      assertTrue(e.getMessage().contains("fastpull install"), e::getMessage);
    }
    try (Puller puller = puller("errors", new ArrayList<>())) {
      PullException e = assertThrows(PullException.class,
          () -> puller.pull(node.proxy.host() + "/fastpull/missing:1"));
      assertEquals(PullException.Kind.IMAGE_NOT_FOUND, e.kind(), e::toString);
      PullException bad = assertThrows(PullException.class, () -> puller.pull("UPPER/case"));
      assertEquals(PullException.Kind.INVALID_ARGUMENT, bad.kind(), bad::toString);
    }
    // A failed pull leaves no image behind.
    assertEquals("", node.ctr("-n", "errors", "images", "ls", "-q").trim());
  }

  private static List<String> snapshots(String ns) throws Exception {
    return node.ctr("-n", ns, "snapshots", "--snapshotter", "fastpull", "ls").lines().skip(1)
        .filter(l -> !l.isBlank()).toList();
  }

  private static String snapshotsSafe(String ns) {
    try {
      return String.join("\n", snapshots(ns));
    } catch (Exception e) {
      return e.toString();
    }
  }

  private static String logSafe() {
    try {
      return node.log();
    } catch (Exception e) {
      return e.toString();
    }
  }
}
