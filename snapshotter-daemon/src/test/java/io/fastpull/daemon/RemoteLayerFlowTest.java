package io.fastpull.daemon;

import static io.fastpull.daemon.Calls.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import io.fastpull.proto.containerd.snapshots.v1.CleanupRequest;
import io.fastpull.proto.containerd.snapshots.v1.Info;
import io.fastpull.proto.containerd.snapshots.v1.Kind;
import io.fastpull.proto.containerd.types.Mount;
import io.fastpull.snapshot.LayerMounter;
import io.fastpull.snapshot.Snapshotter;
import io.grpc.Status.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd 1.6's remote snapshot flow with a fake (bind-mount) layer mounter: the snapshotter's
 * bookkeeping of remote layers, including what restart recovery records when a remount fails.
 * Restarts with real FUSE layers, containerd and runc (graceful stop, kill -9 with a container
 * running) are in {@link FuseRestartTest}.
 */
class RemoteLayerFlowTest {
  private static final String REF = "containerd.io/snapshot.ref";
  private static final String DIGEST = "containerd.io/snapshot/cri.layer-digest";
  private static final String FILTER = "labels.\"containerd.io/snapshot.ref\"==%s,parent==\"%s\"";

  @TempDir Path dir;
  private Path sources;
  private DaemonHarness harness;
  private final HostMounts host = new HostMounts();

  @BeforeEach
  void setUp() throws Exception {
    Privileges.requireRoot();
    sources = Files.createDirectories(dir.resolve("sources"));
    Path layer = Files.createDirectories(sources.resolve("sha256-l1"));
    Files.writeString(layer.resolve("from-remote.txt"), "lazy bytes");
    Files.createDirectories(sources.resolve("sha256-l2"));
    Files.writeString(sources.resolve("sha256-l2/second.txt"), "second");
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      host.close();
    } finally {
      if (harness != null) {
        harness.close();
      }
    }
  }

  private static Map<String, String> labels(String target, String digest) {
    Map<String, String> l = new HashMap<>();
    l.put(REF, target);
    if (digest != null) {
      l.put(DIGEST, digest);
    }
    return l;
  }

  /** What containerd's metadata layer does for one layer; returns the backend name. */
  private String unpack(Calls calls, String seq, String chain, String parent, String digest) {
    assertCode(Code.NOT_FOUND, () -> calls.stat(chain));
    String key = "default/" + seq + "/extract-" + seq + " " + chain;
    assertCode(Code.ALREADY_EXISTS, () -> calls.prepare(key, parent, labels(chain, digest)));
    assertCode(Code.NOT_FOUND, () -> calls.stat(key));
    List<Info> found = calls.list(String.format(FILTER, chain, parent));
    assertEquals(1, found.size(), found::toString);
    assertEquals(Kind.COMMITTED, found.get(0).getKind());
    assertEquals(parent, found.get(0).getParent());
    assertEquals(chain, found.get(0).getLabelsMap().get(REF));
    assertEquals("true", found.get(0).getLabelsMap().get("containerd.io/snapshot/remote"));
    // the key of the Prepare it was mounted for: the client that sent it knows its layer is new
    assertEquals(key, found.get(0).getLabelsMap().get(Snapshotter.LAZY_LABEL));
    return found.get(0).getName();
  }

  @Test
  void remoteLayersAreCommittedAsTargetAndStackedByChildren() throws Exception {
    FakeLayerMounter mounter = FakeLayerMounter.over(sources);
    harness = DaemonHarness.start(dir, mounter);
    Calls calls = new Calls(harness.stub());

    String n1 = unpack(calls, "1", "sha256:c1", "", "sha256:l1");
    String n2 = unpack(calls, "2", "sha256:c2", n1, "sha256:l2");
    assertEquals("sha256:c2", n2);
    assertEquals(2, mounter.mounts.size());
    assertTrue(harness.daemon.metrics().scrape().contains("\nfastpull_mounted_layers 2\n"));

    // a second unpack of the same layer finds it without mounting again
    assertCode(Code.ALREADY_EXISTS, () -> calls.prepare("default/9/extract-9", "", labels("sha256:c1", "sha256:l1")));
    assertEquals(2, mounter.mounts.size());

    List<Mount> rw = calls.prepare("default/3/container", n2);
    assertEquals("overlay", rw.get(0).getType());
    String[] lowers = SnapshotsContractTest.lowerdir(rw.get(0)).split(":");
    assertEquals(2, lowers.length);
    assertTrue(mounter.mounts.contains(Path.of(lowers[0])), "lowerdir is the remote mountpoint");
    assertTrue(mounter.mounts.contains(Path.of(lowers[1])));

    Path target = Files.createDirectories(dir.resolve("rootfs"));
    host.mount(rw, target);
    assertEquals("lazy bytes", Files.readString(target.resolve("from-remote.txt")));
    assertEquals("second", Files.readString(target.resolve("second.txt")));
    Files.writeString(target.resolve("new.txt"), "container write");
    host.unmount(target);
    assertFalse(Files.exists(sources.resolve("sha256-l2/new.txt")), "remote layer untouched");

    // containerd's GC order: children first, then cleanup
    calls.remove("default/3/container");
    assertCode(Code.FAILED_PRECONDITION, () -> calls.remove(n1));
    calls.remove(n2);
    calls.remove(n1);
    harness.stub().cleanup(CleanupRequest.getDefaultInstance());
    assertEquals(0, mounter.mounts.size(), "removed remote layers are unmounted");
    try (var s = Files.list(harness.root.resolve("snapshots"))) {
      assertEquals(0, s.count());
    }
    assertTrue(Files.exists(sources.resolve("sha256-l1/from-remote.txt")), "bind source survives removal");
  }

  /**
   * containerd finds a target by its label and parent, not by name: a chain id another namespace
   * unpacked (committed as {@code ns/N/chain}) is found without a mount, and a chain id over
   * another parent than the one holding the bare name is committed under the Prepare's key.
   */
  @Test
  void targetsAreFoundAndKeptByLabelAndParent() throws Exception {
    FakeLayerMounter mounter = FakeLayerMounter.over(sources);
    harness = DaemonHarness.start(dir, mounter);
    Calls calls = new Calls(harness.stub());

    // namespace "plain" unpacked c3 the ordinary way; its commit carries the target label
    calls.prepare("plain/1/extract-1 sha256:c3", "", labels("sha256:c3", null));
    calls.commit("plain/2/sha256:c3", "plain/1/extract-1 sha256:c3", labels("sha256:c3", null));
    assertCode(Code.ALREADY_EXISTS,
        () -> calls.prepare("lazy/1/extract-1 sha256:c3", "", labels("sha256:c3", "sha256:l1")));
    assertEquals(0, mounter.mounts.size(), "the unpacked copy stands in: nothing to mount");
    assertEquals(List.of("plain/2/sha256:c3"), calls.names(String.format(FILTER, "sha256:c3", "")));

    // the lazy base c1 in one namespace, an unpacked copy of it in another
    String n1 = unpack(calls, "1", "sha256:c1", "", "sha256:l1");
    calls.prepare("plain/3/extract-3 sha256:c1", "", labels("sha256:c1", null));
    calls.commit("plain/4/sha256:c1", "plain/3/extract-3 sha256:c1", labels("sha256:c1", null));
    // c2 over the lazy base takes the bare name; c2 over the copy keeps its Prepare key
    Map<String, String> c2 = labels("sha256:c2", "sha256:l2");
    assertCode(Code.ALREADY_EXISTS, () -> calls.prepare("default/5/extract-5 sha256:c2", n1, c2));
    assertCode(Code.ALREADY_EXISTS,
        () -> calls.prepare("plain/5/extract-5 sha256:c2", "plain/4/sha256:c1", c2));
    assertEquals(List.of("sha256:c2"), calls.names(String.format(FILTER, "sha256:c2", n1)));
    List<Info> overCopy = calls.list(String.format(FILTER, "sha256:c2", "plain/4/sha256:c1"));
    assertEquals(List.of("plain/5/extract-5 sha256:c2"),
        overCopy.stream().map(Info::getName).toList());
    assertEquals(Kind.COMMITTED, overCopy.get(0).getKind());
    assertEquals(3, mounter.mounts.size());
    // a second Prepare of c2 over the copy finds it without mounting
    assertCode(Code.ALREADY_EXISTS,
        () -> calls.prepare("other/1/extract-1 sha256:c2", "plain/4/sha256:c1", c2));
    assertEquals(3, mounter.mounts.size());

    // each is removed on its own; the other stays mounted
    calls.remove("plain/5/extract-5 sha256:c2");
    assertEquals(2, mounter.mounts.size());
    assertTrue(calls.stat("sha256:c2").getLabelsMap().containsKey("containerd.io/snapshot/remote"));
  }

  @Test
  void declinedOrFailedMountsFallBackToOrdinaryUnpack() throws Exception {
    harness = DaemonHarness.start(dir, FakeLayerMounter.failing(sources));
    Calls calls = new Calls(harness.stub());
    // the mounter fails: ordinary mounts
    List<Mount> m = calls.prepare("default/1/extract-1", "", labels("sha256:c1", "sha256:l1"));
    assertEquals("bind", m.get(0).getType());
    // ... and the snapshot says why, for the client that goes on to unpack the layer
    String why = calls.stat("default/1/extract-1").getLabelsMap().get(Snapshotter.NOT_LAZY_LABEL);
    assertTrue(why != null && why.contains("failing on purpose"), String.valueOf(why));
    // the mounter declines (no such layer): ordinary mounts, no reason (it is no lazy layer)
    m = calls.prepare("default/2/extract-2", "", labels("sha256:c9", "sha256:unknown"));
    assertEquals("bind", m.get(0).getType());
    assertFalse(calls.stat("default/2/extract-2").getLabelsMap()
        .containsKey(Snapshotter.NOT_LAZY_LABEL));
    // no layer digest: the policy does not try
    m = calls.prepare("default/3/extract-3", "", labels("sha256:c1", null));
    assertEquals("bind", m.get(0).getType());
    // never ALREADY_EXISTS without a target label, even when the layer is known
    harness.close();
    harness = DaemonHarness.start(dir.resolve("other"), FakeLayerMounter.over(sources));
    Calls other = new Calls(harness.stub());
    Map<String, String> noTarget = new HashMap<>();
    noTarget.put(DIGEST, "sha256:l1");
    assertEquals("bind", other.prepare("k", "", noTarget).get(0).getType());
  }

  @Test
  void restartKeepsSnapshotsAndRemountsRemoteLayers() throws Exception {
    harness = DaemonHarness.start(dir, FakeLayerMounter.over(sources));
    Calls calls = new Calls(harness.stub());
    String remote = unpack(calls, "1", "sha256:c1", "", "sha256:l1");
    calls.layer("default/5/local", remote);
    calls.prepare("default/6/active", "default/5/local");
    Info before = calls.stat("default/5/local");
    harness.close();
    harness = null;
    assertFalse(Files.exists(dir.resolve("run/fastpull.sock")), "socket removed on shutdown");
    Path mp = dir.resolve("root/snapshots/1/fs");
    assertFalse(Files.exists(mp.resolve("from-remote.txt")), "unmounted on shutdown");

    FakeLayerMounter second = FakeLayerMounter.over(sources);
    harness = DaemonHarness.start(dir, second);
    calls = new Calls(harness.stub());
    assertEquals(List.of("default/5/local", "default/6/active", "sha256:c1"), calls.names());
    assertEquals(before, calls.stat("default/5/local"), "timestamps and labels survive exactly");
    assertEquals(1, second.mounts.size());
    assertEquals("lazy bytes", Files.readString(mp.resolve("from-remote.txt")));
    assertFalse(calls.stat("sha256:c1").getLabelsMap().containsKey(Snapshotter.REMOUNT_ERROR_LABEL));
    harness.close();

    // a layer that cannot be remounted is reported, and the daemon still serves
    harness = DaemonHarness.start(dir, FakeLayerMounter.failing(sources));
    calls = new Calls(harness.stub());
    Info broken = calls.stat("sha256:c1");
    assertTrue(broken.getLabelsMap().get(Snapshotter.REMOUNT_ERROR_LABEL).contains("failing on purpose"));
    assertEquals(3, calls.list().size());
    harness.close();

    // no mounter at all: reported as declined
    harness = DaemonHarness.start(dir, LayerMounter.none());
    assertTrue(new Calls(harness.stub()).stat("sha256:c1").getLabelsMap()
        .get(Snapshotter.REMOUNT_ERROR_LABEL).contains("declined"));
  }
}
