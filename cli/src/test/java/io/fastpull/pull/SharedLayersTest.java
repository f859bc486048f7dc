package io.fastpull.pull;

import static io.fastpull.pull.LayerResult.Outcome.DOWNLOADED;
import static io.fastpull.pull.LayerResult.Outcome.EXISTS;
import static io.fastpull.pull.LayerResult.Outcome.EXISTS_LAZY;
import static io.fastpull.pull.LayerResult.Outcome.LAZY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.control.DaemonControl;
import io.fastpull.control.LayerActivity;
import io.fastpull.format.Layers;
import io.fastpull.progress.Progress;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.RegistryClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One lazy image (or a lazy and an ordinary image with the same layers) pulled into two containerd
 * namespaces, all parts real. containerd's metadata store finds a backend target by its label and
 * parent, maps every namespace's chain id to the first match, and its garbage collector counts
 * references from every namespace: removing the image in one namespace must leave the layers of a
 * container running in the other readable, removing it everywhere must unmount them, and the
 * daemon must never mount a layer that no namespace ends up referencing.
 */
class SharedLayersTest {
  private static final int BIG = 2 << 20;

  @TempDir static Path dir;
  private static Node node;
  private static RegistryClient client;

  @BeforeAll
  static void start() throws Exception {
    Node.requireRoot();
    node = Node.start(dir);
    client = RegistryClient.builder().plainHttp(node.proxy.host()).build();
  }

  /** Removes every container, image and snapshot a test left, so that tests stay independent. */
  @AfterEach
  void clean() throws Exception {
    for (String ns : node.ctr("namespaces", "ls", "-q").lines().filter(l -> !l.isBlank())
        .toList()) {
      for (String task : node.ctr("-n", ns, "tasks", "ls", "-q").lines()
          .filter(l -> !l.isBlank()).toList()) {
        node.run(List.of("-n", ns, "tasks", "kill", "-s", "KILL", task));
        for (int i = 0; i < 50 && node.run(List.of("-n", ns, "tasks", "rm", task)).exit() != 0;
            i++) {
          Thread.sleep(100);
        }
      }
      for (String c : node.ctr("-n", ns, "containers", "ls", "-q").lines()
          .filter(l -> !l.isBlank()).toList()) {
        node.run(List.of("-n", ns, "containers", "rm", c));
      }
      for (String img : node.ctr("-n", ns, "images", "ls", "-q").lines()
          .filter(l -> !l.isBlank()).toList()) {
        node.run(List.of("-n", ns, "images", "rm", "--sync", img));
      }
      collectGarbage(ns);
    }
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

  @Test
  void removingTheImageInOneNamespaceKeepsTheOtherRunning() throws Exception {
    TestImage.Pushed image = TestImage.pushLazy(client, node.proxy.host() + "/fastpull/shared:1",
        TestImage.tars(BIG, 21), -1);
    assertEquals(List.of(LAZY, LAZY, LAZY), pull("share-a", image.ref()));
    // the other namespace finds the lazy snapshots: nothing mounted for it, and it says so
    assertEquals(List.of(EXISTS_LAZY, EXISTS_LAZY, EXISTS_LAZY), pull("share-b", image.ref()));
    assertEquals(List.of(EXISTS_LAZY, EXISTS_LAZY, EXISTS_LAZY), pull("share-b", image.ref()));
    assertEquals(3, mountedLayers(image).size(), this::state);

    survivesRemovalElsewhere("share-b", "share-a", image.ref(), 21, "fp-share-1");
    // the reverse order: pull into a again, run in a, remove in b
    pull("share-a", image.ref());
    pull("share-b", image.ref());
    survivesRemovalElsewhere("share-a", "share-b", image.ref(), 21, "fp-share-2");

    removeEverywhere("share-a", "share-b");
    assertEquals(List.of(), mountedLayers(image), this::state);
    assertEquals(List.of(), fuseMounts(), this::state);
    assertEquals(List.of(), snapshotDirs(), this::state);
  }

  @Test
  void lazyAndOrdinaryPullsOfTheSameLayersShareSafely() throws Exception {
    List<byte[]> tars = TestImage.tars(BIG, 23);
    TestImage.Pushed lazy = TestImage.pushLazy(client, node.proxy.host() + "/fastpull/mixed:lazy",
        tars, -1);
    TestImage.Pushed plain = TestImage.pushOrdinary(client,
        node.proxy.host() + "/fastpull/mixed:plain", tars);
    assertEquals(List.of(LAZY, LAZY, LAZY), pull("mixed-lazy", lazy.ref()));
    // the ordinary image's layers are the lazy snapshots already there
    assertEquals(List.of(EXISTS_LAZY, EXISTS_LAZY, EXISTS_LAZY), pull("mixed-plain", plain.ref()));
    survivesRemovalElsewhere("mixed-plain", "mixed-lazy", plain.ref(), 23, "fp-mixed-1");

    pull("mixed-lazy", lazy.ref());
    survivesRemovalElsewhere("mixed-lazy", "mixed-plain", lazy.ref(), 23, "fp-mixed-2");

    removeEverywhere("mixed-lazy");
    assertEquals(List.of(), mountedLayers(lazy), this::state);
    assertEquals(List.of(), fuseMounts(), this::state);
    assertEquals(List.of(), snapshotDirs(), this::state);
  }

  /**
   * An ordinary pull committed the layers first (containerd names them {@code ns/N/chain}, with
   * the chain id in the target label): a lazy pull of the same layers elsewhere must find them,
   * as containerd's metadata store does by that label and the parent, and mount nothing that no
   * namespace would reference.
   */
  @Test
  void anOrdinaryPullStandsInForLaterLazyPullsWithoutStrayMounts() throws Exception {
    List<byte[]> tars = TestImage.tars(BIG, 29);
    TestImage.Pushed lazy = TestImage.pushLazy(client, node.proxy.host() + "/fastpull/first:lazy",
        tars, -1);
    TestImage.Pushed plain = TestImage.pushOrdinary(client,
        node.proxy.host() + "/fastpull/first:plain", tars);
    assertEquals(List.of(DOWNLOADED, DOWNLOADED, DOWNLOADED), pull("first-plain", plain.ref()));
    // ALREADY_EXISTS from the ordinary copies: reported as what they are, not as lazy mounts
    assertEquals(List.of(EXISTS, EXISTS, EXISTS), pull("first-lazy", lazy.ref()));
    assertEquals(List.of(), mountedLayers(lazy), this::state);
    assertEquals(List.of(), fuseMounts(), this::state);

    survivesRemovalElsewhere("first-lazy", "first-plain", lazy.ref(), 29, "fp-first-1");
    removeEverywhere("first-lazy");
    assertEquals(List.of(), fuseMounts(), this::state);
    assertEquals(List.of(), snapshotDirs(), this::state);
  }

  /**
   * containerd's own unpacker (no CRI labels, so the daemon does not step in) unpacked the base
   * layer in one namespace; a lazy pull there stacks its next layer on that copy, while another
   * namespace already holds the same chain id over the lazy base. Both must work: containerd finds
   * a target by its label and parent, so one chain id may need several committed snapshots.
   */
  @Test
  void aChainIdOverDifferentParentsInTwoNamespaces() throws Exception {
    List<byte[]> tars = TestImage.tars(BIG, 31);
    TestImage.Pushed lazy = TestImage.pushLazy(client, node.proxy.host() + "/fastpull/div:lazy",
        tars, -1);
    TestImage.Pushed base = TestImage.pushOrdinary(client,
        node.proxy.host() + "/fastpull/div:base", tars.subList(0, 1));
    pull("div-lazy", lazy.ref());
    node.ctr("-n", "div-ctr", "images", "pull", "--plain-http", "--snapshotter", "fastpull",
        base.ref());
    // the base is ctr's unpacked copy; the next layers are mounted for this pull
    assertEquals(List.of(EXISTS, LAZY, LAZY), pull("div-ctr", lazy.ref()));
    survivesRemovalElsewhere("div-ctr", "div-lazy", lazy.ref(), 31, "fp-div-1");
    removeEverywhere("div-ctr");
    assertEquals(List.of(), fuseMounts(), this::state);
    assertEquals(List.of(), snapshotDirs(), this::state);
  }

  /**
   * Runs a container in {@code keep}, removes the image from {@code drop} and collects garbage,
   * then reads every file in the container (the big one for the first time, so its chunks come
   * through the FUSE mount); then stops the container.
   */
  private void survivesRemovalElsewhere(String keep, String drop, String ref, long seed,
      String id) throws Exception {
    node.ctr("-n", keep, "run", "-d", "--snapshotter", "fastpull", ref, id, "/bin/sleep",
        "600");
    try {
      String dropRef = node.ctr("-n", drop, "images", "ls", "-q").lines()
          .filter(l -> !l.isBlank()).findFirst().orElseThrow();
      node.ctr("-n", drop, "images", "rm", "--sync", dropRef);
      for (int i = 0; i < 3; i++) {
        collectGarbage(drop);
      }
      assertEquals(List.of(), snapshots(drop), this::state);
      String out = node.ctr("-n", keep, "tasks", "exec", "--exec-id", id + "-x", id, "/bin/sh",
          "-c", "cat /etc/greeting /models/config.json; ls /models;"
              + " /bin/busybox sha256sum /models/weights.bin");
      byte[] weights = Layers.bytes(BIG, seed, false);
      String sum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
      assertEquals(TestImage.EXPECTED + "\n" + sum + "  /models/weights.bin", out.trim(),
          this::state);
    } finally {
      node.run(List.of("-n", keep, "tasks", "kill", "-s", "KILL", id));
      for (int i = 0; i < 50; i++) {
        if (node.run(List.of("-n", keep, "tasks", "rm", id)).exit() == 0) {
          break;
        }
        Thread.sleep(100);
      }
      node.ctr("-n", keep, "containers", "rm", id);
    }
  }

  private void removeEverywhere(String... namespaces) throws Exception {
    for (String ns : namespaces) {
      for (String img : node.ctr("-n", ns, "images", "ls", "-q").lines()
          .filter(l -> !l.isBlank()).toList()) {
        node.ctr("-n", ns, "images", "rm", "--sync", img);
      }
      for (int i = 0; i < 3; i++) {
        collectGarbage(ns);
      }
      assertEquals(List.of(), snapshots(ns), this::state);
    }
  }

  /** Pulls {@code ref} into {@code ns}; returns what happened to each layer, base first. */
  private static List<LayerResult.Outcome> pull(String ns, String ref) throws Exception {
    try (Puller puller = Puller.open(client, Puller.Options.defaults().withAddress(node.address)
        .withNamespace(ns), Progress.none(), Clock.systemUTC())) {
      return puller.pull(ref).layers().stream().map(LayerResult::outcome).toList();
    }
  }

  private static void collectGarbage(String ns) throws Exception {
    String lease = "fastpull-gc-" + System.nanoTime();
    node.ctr("-n", ns, "leases", "create", "--id", lease);
    node.ctr("-n", ns, "leases", "delete", "--sync", lease);
  }

  private static List<String> snapshots(String ns) throws Exception {
    return node.ctr("-n", ns, "snapshots", "--snapshotter", "fastpull", "ls").lines().skip(1)
        .filter(l -> !l.isBlank()).toList();
  }

  private static List<LayerActivity> mountedLayers(TestImage.Pushed image) throws Exception {
    List<String> digests = image.layers().stream().map(Descriptor::digest)
        .map(Object::toString).toList();
    try (DaemonControl control = DaemonControl.open(node.dir.resolve("d/run/fastpull.sock"))) {
      return control.layers().stream().filter(a -> digests.contains(a.blobDigest())).toList();
    }
  }

  private static List<String> fuseMounts() throws Exception {
    List<String> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      String fstype = line.substring(line.indexOf(" - ") + 3).split(" ")[0];
      if (f[4].startsWith(node.dir.toString()) && fstype.startsWith("fuse")) {
        out.add(f[4]);
      }
    }
    return out;
  }

  /** The daemon's snapshot directories: none once no namespace holds a snapshot. */
  private static List<String> snapshotDirs() throws Exception {
    try (var s = Files.list(node.dir.resolve("d/root/snapshots"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private String state() {
    StringBuilder b = new StringBuilder();
    try (DaemonControl control = DaemonControl.open(node.dir.resolve("d/run/fastpull.sock"))) {
      b.append("daemon layers:\n");
      for (LayerActivity a : control.layers()) {
        b.append("  ").append(a.blobDigest()).append(' ').append(a.snapshotKey()).append('\n');
      }
      b.append("fuse mounts: ").append(fuseMounts()).append('\n');
      b.append("containerd log:\n").append(node.log());
    } catch (Exception e) {
      b.append(e);
    }
    return b.toString();
  }
}
