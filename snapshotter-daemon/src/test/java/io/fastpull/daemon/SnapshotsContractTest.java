package io.fastpull.daemon;

import static io.fastpull.daemon.Calls.assertCode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import io.fastpull.proto.containerd.snapshots.v1.CleanupRequest;
import io.fastpull.proto.containerd.snapshots.v1.Info;
import io.fastpull.proto.containerd.snapshots.v1.Kind;
import io.fastpull.proto.containerd.snapshots.v1.UsageRequest;
import io.fastpull.proto.containerd.snapshots.v1.UsageResponse;
import io.fastpull.proto.containerd.types.Mount;
import io.fastpull.snapshot.LayerMounter;
import io.grpc.Status.Code;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** containerd's snapshotter contract, checked over the daemon's real Unix socket. */
class SnapshotsContractTest {
  @TempDir Path dir;
  private DaemonHarness harness;
  private Calls calls;
  private final HostMounts host = new HostMounts();

  @BeforeEach
  void start() throws Exception {
    Privileges.requireRoot();
    harness = DaemonHarness.start(dir, LayerMounter.none());
    calls = new Calls(harness.stub());
  }

  @AfterEach
  void stop() throws Exception {
    try {
      host.close();
    } finally {
      if (harness != null) {
        harness.close();
      }
    }
  }

  private Path fs(Mount bind) {
    return Path.of(bind.getSource());
  }

  @Test
  void prepareCommitStatLifecycle() {
    List<Mount> m = calls.prepare("ns/1/a", "", Map.of("containerd.io/gc.root", "x"));
    assertEquals(1, m.size());
    assertEquals("bind", m.get(0).getType());
    assertEquals(List.of("rw", "rbind"), m.get(0).getOptionsList());
    assertTrue(m.get(0).getSource().startsWith(harness.root.resolve("snapshots") + "/"));
    assertTrue(m.get(0).getSource().endsWith("/fs"));

    Info active = calls.stat("ns/1/a");
    assertEquals(Kind.ACTIVE, active.getKind());
    assertEquals("", active.getParent());
    assertEquals(Map.of("containerd.io/gc.root", "x"), active.getLabelsMap());
    assertEquals(0, active.getCreatedAt().getNanos() % 1000, "microsecond precision");

    calls.commit("ns/2/base", "ns/1/a", Map.of("l", "v"));
    Info committed = calls.stat("ns/2/base");
    assertEquals(Kind.COMMITTED, committed.getKind());
    assertEquals("", committed.getParent());
    assertEquals(Map.of("l", "v"), committed.getLabelsMap(), "commit replaces labels");
    assertCode(Code.NOT_FOUND, () -> calls.stat("ns/1/a"));
    assertCode(Code.NOT_FOUND, () -> calls.mounts("ns/1/a"));

    calls.prepare("ns/3/b", "ns/2/base");
    assertEquals("ns/2/base", calls.stat("ns/3/b").getParent());
    assertEquals(List.of("ns/2/base", "ns/3/b"), calls.names());
  }

  @Test
  void errorCasesMatchContainerd() {
    calls.layer("base", "");
    calls.prepare("active", "base");
    calls.view("view", "base");

    assertCode(Code.NOT_FOUND, () -> calls.prepare("x", "missing"));
    assertCode(Code.INVALID_ARGUMENT, () -> calls.prepare("x", "active"));
    assertCode(Code.INVALID_ARGUMENT, () -> calls.view("x", "view"));
    assertCode(Code.INVALID_ARGUMENT, () -> calls.prepare("", ""));
    assertCode(Code.ALREADY_EXISTS, () -> calls.prepare("active", "base"));
    assertCode(Code.ALREADY_EXISTS, () -> calls.view("active", "base"));
    assertCode(Code.ALREADY_EXISTS, () -> calls.prepare("view", ""));
    assertCode(Code.ALREADY_EXISTS, () -> calls.prepare("base", ""));

    assertCode(Code.NOT_FOUND, () -> calls.mounts("missing"));
    assertCode(Code.FAILED_PRECONDITION, () -> calls.mounts("base"));

    assertCode(Code.NOT_FOUND, () -> calls.commit("n", "missing"));
    assertCode(Code.ALREADY_EXISTS, () -> calls.commit("base", "active"));
    assertCode(Code.ALREADY_EXISTS, () -> calls.commit("active", "active"));
    assertCode(Code.FAILED_PRECONDITION, () -> calls.commit("n", "view"));
    assertCode(Code.FAILED_PRECONDITION, () -> calls.commit("n", "base"));

    assertCode(Code.NOT_FOUND, () -> calls.remove("missing"));
    assertCode(Code.NOT_FOUND, () -> calls.stat("missing"));
    assertCode(Code.NOT_FOUND, () -> harness.stub().usage(UsageRequest.newBuilder().setKey("missing").build()));
    assertCode(Code.NOT_FOUND, () -> calls.update("missing", Map.of(), "labels"));
    assertCode(Code.INVALID_ARGUMENT, () -> calls.update("base", Map.of(), "parent"));
    assertCode(Code.INVALID_ARGUMENT, () -> calls.list("labels.\"unterminated"));
    assertCode(Code.INVALID_ARGUMENT, () -> calls.list("size>3"));
    assertCode(Code.INVALID_ARGUMENT, () -> calls.list("name==a b"));
  }

  @Test
  void mountsFollowOverlaySnapshotterShapes() {
    calls.layer("l1", "");
    calls.layer("l2", "l1");
    calls.layer("l3", "l2");
    Path l1 = fs(calls.view("v1", "l1").get(0));
    assertEquals(List.of("ro", "rbind"), calls.mounts("v1").get(0).getOptionsList());
    List<Mount> v2 = calls.view("v2", "l2");
    assertEquals("overlay", v2.get(0).getType(), "a view on a two-layer chain is an overlay");
    List<String> expected = new ArrayList<>();
    if (Files.exists(Path.of("/sys/module/overlay/parameters/index"))) {
      expected.add("index=off");
    }
    expected.add("lowerdir=" + lowerdir(v2.get(0)));
    assertEquals(expected, v2.get(0).getOptionsList());
    Path l2 = Path.of(lowerdir(v2.get(0)).split(":")[0]);
    assertEquals(l1.toString(), lowerdir(v2.get(0)).split(":")[1]);
    assertTrue(Files.isDirectory(l1) && Files.isDirectory(l2));

    List<Mount> root = calls.view("v0", "");
    assertEquals("bind", root.get(0).getType());
    assertEquals(List.of("ro", "rbind"), root.get(0).getOptionsList());

    calls.layer("l4", "l3");
    List<Mount> overlayView = calls.view("v5", "l4");
    Mount ov = overlayView.get(0);
    assertEquals("overlay", ov.getType());
    assertEquals("overlay", ov.getSource());
    String lower = lowerdir(ov);
    String[] lowers = lower.split(":");
    assertEquals(4, lowers.length);
    assertTrue(lowers[3].equals(l1.toString()), "root layer last: " + lower);
    assertTrue(lowers[2].equals(l2.toString()), "nearest parent first: " + lower);
    assertFalse(ov.getOptionsList().stream().anyMatch(o -> o.startsWith("upperdir=")));

    List<Mount> active = calls.prepare("a", "l4");
    List<String> opts = active.get(0).getOptionsList();
    assertTrue(opts.stream().anyMatch(o -> o.startsWith("upperdir=") && o.endsWith("/fs")), opts::toString);
    assertTrue(opts.stream().anyMatch(o -> o.startsWith("workdir=") && o.endsWith("/work")), opts::toString);
    assertEquals(lower, lowerdir(active.get(0)));
    assertEquals(active, calls.mounts("a"));
    // short numeric ids keep lowerdir short
    for (String l : lowers) {
      assertTrue(Path.of(l).getParent().getFileName().toString().matches("\\d{1,3}"), l);
    }
  }

  static String lowerdir(Mount m) {
    return m.getOptionsList().stream()
        .filter(o -> o.startsWith("lowerdir="))
        .findFirst()
        .orElseThrow()
        .substring("lowerdir=".length());
  }

  @Test
  void listFiltersAsContainerdSendsThem() {
    calls.prepare("ns/1/extract", "", Map.of("containerd.io/snapshot.ref", "sha256:aa"));
    calls.commit("ns/2/sha256:aa", "ns/1/extract", Map.of("containerd.io/snapshot.ref", "sha256:aa"));
    calls.prepare("ns/3/extract", "ns/2/sha256:aa", Map.of("containerd.io/snapshot.ref", "sha256:bb"));
    calls.commit("ns/4/sha256:bb", "ns/3/extract", Map.of("containerd.io/snapshot.ref", "sha256:bb", "a.b", "c"));
    calls.view("ns/5/view", "ns/4/sha256:bb");

    assertEquals(List.of("ns/4/sha256:bb"),
        calls.names("labels.\"containerd.io/snapshot.ref\"==sha256:bb,parent==\"ns/2/sha256:aa\""));
    assertEquals(List.of(), calls.names("labels.\"containerd.io/snapshot.ref\"==sha256:bb,parent==\"\""));
    assertEquals(List.of("ns/2/sha256:aa"), calls.names("labels.\"containerd.io/snapshot.ref\"==sha256:aa,parent==\"\""));
    assertEquals(List.of("ns/5/view"), calls.names("kind==view"));
    assertEquals(List.of("ns/2/sha256:aa", "ns/4/sha256:bb"), calls.names("kind==committed"));
    assertEquals(List.of("ns/2/sha256:aa", "ns/5/view"), calls.names("name==ns/5/view", "name==\"ns/2/sha256:aa\""));
    assertEquals(List.of("ns/4/sha256:bb"), calls.names("labels.a.b==c"));
    assertEquals(List.of("ns/4/sha256:bb"), calls.names("labels.\"a.b\""));
    assertEquals(List.of("ns/2/sha256:aa", "ns/5/view"), calls.names("labels.\"containerd.io/snapshot.ref\"!=sha256:bb"));
    assertEquals(List.of("ns/2/sha256:aa", "ns/4/sha256:bb"), calls.names("name~=\"sha256:[ab]+$\""));
    assertEquals(3, calls.list().size());
  }

  @Test
  void listStreamsLargeResultsInBatches() {
    Set<String> made = new HashSet<>();
    for (int i = 0; i < 250; i++) {
      calls.view("v" + i, "");
      made.add("v" + i);
    }
    // as containerd's own service: messages of 100, the rest in the last one
    assertEquals(List.of(100, 100, 50), calls.listBatches());
    List<String> listed = calls.names();
    assertEquals(250, listed.size(), "each snapshot once");
    assertEquals(made, new HashSet<>(listed));
  }

  @Test
  void updateFollowsFieldMasks() throws Exception {
    calls.layer("s", "");
    calls.update("s", Map.of("a", "1", "b", "2"), "labels");
    Info before = calls.stat("s");
    assertEquals(Map.of("a", "1", "b", "2"), before.getLabelsMap());

    Thread.sleep(2);
    Info one = calls.update("s", Map.of("a", "10", "c", "3"), "labels.a");
    assertEquals(Map.of("a", "10", "b", "2"), one.getLabelsMap());
    assertEquals(before.getCreatedAt(), one.getCreatedAt());
    assertTrue(Timestamps.micros(one.getUpdatedAt()) > Timestamps.micros(before.getUpdatedAt()));
    assertEquals(one, calls.stat("s"));

    assertEquals(Map.of("a", "10"), calls.update("s", Map.of(), "labels.b").getLabelsMap(), "absent value deletes");
    assertEquals(Map.of("z", "9"), calls.update("s", Map.of("z", "9")).getLabelsMap(), "empty mask replaces all");
    assertEquals(Map.of("z", "9", "k.with.dots", "v"),
        calls.update("s", Map.of("k.with.dots", "v"), "labels.k.with.dots").getLabelsMap());
    assertEquals(Map.of(), calls.update("s", Map.of(), "labels").getLabelsMap());
    assertEquals(Kind.COMMITTED, calls.stat("s").getKind());
  }

  @Test
  void concurrentPrepareOfOneKeyHasOneWinner() throws Exception {
    int n = 8;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Code>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Callable<Code> c = () -> {
          go.await();
          try {
            calls.prepare("same", "");
            return Code.OK;
          } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
          }
        };
        results.add(pool.submit(c));
      }
      go.countDown();
      List<Code> codes = new ArrayList<>();
      for (Future<Code> f : results) {
        codes.add(f.get());
      }
      assertEquals(1, codes.stream().filter(c -> c == Code.OK).count(), codes::toString);
      assertEquals(n - 1, codes.stream().filter(c -> c == Code.ALREADY_EXISTS).count(), codes::toString);
      assertEquals(List.of("same"), calls.names());
      try (var dirs = Files.list(harness.root.resolve("snapshots"))) {
        assertEquals(1, dirs.count(), "losers leave no directories");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void removeRefusesParentsAndGcOrderWorks() {
    calls.layer("base", "");
    calls.layer("mid", "base");
    calls.prepare("top", "mid");
    calls.view("v", "base");
    Path topDir = Path.of(calls.mounts("top").get(0).getOptionsList().stream()
        .filter(o -> o.startsWith("upperdir=")).findFirst().orElseThrow().substring(9)).getParent();

    assertCode(Code.FAILED_PRECONDITION, () -> calls.remove("mid"));
    assertCode(Code.FAILED_PRECONDITION, () -> calls.remove("base"));
    calls.remove("top");
    assertFalse(Files.exists(topDir), "directory removed with the snapshot");
    calls.remove("mid");
    assertCode(Code.FAILED_PRECONDITION, () -> calls.remove("base"));
    calls.remove("v");
    calls.remove("base");
    assertEquals(List.of(), calls.names());
    harness.stub().cleanup(CleanupRequest.getDefaultInstance());
  }

  @Test
  void cleanupRemovesOnlyOrphanDirectories() throws Exception {
    calls.layer("keep", "");
    Path snapshots = harness.root.resolve("snapshots");
    Files.createDirectories(snapshots.resolve("999/fs/sub"));
    Files.writeString(snapshots.resolve("999/fs/sub/file"), "x");
    Files.createDirectories(snapshots.resolve("new-12345/fs"));
    Files.createSymbolicLink(snapshots.resolve("new-12345/fs/escape"), dir);
    long before;
    try (var s = Files.list(snapshots)) {
      before = s.count();
    }
    assertEquals(3, before);
    harness.stub().cleanup(CleanupRequest.getDefaultInstance());
    assertFalse(Files.exists(snapshots.resolve("999")));
    assertFalse(Files.exists(snapshots.resolve("new-12345")));
    assertTrue(Files.exists(dir.resolve("root")), "symlinks are not followed");
    try (var s = Files.list(snapshots)) {
      assertEquals(1, s.count());
    }
    assertEquals(Kind.COMMITTED, calls.stat("keep").getKind());
  }

  @Test
  void overlayMountsWorkWithTheKernel() throws Exception {
    Path target = Files.createDirectories(dir.resolve("mnt"));
    host.mount(calls.prepare("k1", ""), target);
    Files.writeString(target.resolve("a.txt"), "layer one");
    Files.createDirectories(target.resolve("d"));
    Files.writeString(target.resolve("d/gone"), "x");
    host.unmount(target);
    UsageResponse u = harness.stub().usage(UsageRequest.newBuilder().setKey("k1").build());
    assertEquals(10, u.getSize());
    assertEquals(4, u.getInodes());
    calls.commit("L1", "k1");
    UsageResponse cu = harness.stub().usage(UsageRequest.newBuilder().setKey("L1").build());
    assertEquals(u, cu, "usage recorded at commit");

    host.mount(calls.prepare("k2", "L1"), target);
    assertEquals("layer one", Files.readString(target.resolve("a.txt")));
    Files.writeString(target.resolve("b.txt"), "layer two");
    Files.delete(target.resolve("d/gone"));
    host.unmount(target);
    calls.commit("L2", "k2");

    host.mount(calls.prepare("k3", "L2"), target);
    Files.writeString(target.resolve("c.txt"), "layer three");
    host.unmount(target);
    calls.commit("L3", "k3");

    List<Mount> view = calls.view("v", "L3");
    assertEquals("overlay", view.get(0).getType());
    host.mount(view, target);
    assertEquals("layer one", Files.readString(target.resolve("a.txt")));
    assertEquals("layer two", Files.readString(target.resolve("b.txt")));
    assertEquals("layer three", Files.readString(target.resolve("c.txt")));
    assertFalse(Files.exists(target.resolve("d/gone")), "whiteout from layer two");
    org.junit.jupiter.api.Assertions.assertThrows(
        java.io.IOException.class, () -> Files.writeString(target.resolve("nope"), "x"), "view is read-only");
    host.unmount(target);

    List<Mount> single = calls.view("v1", "L1");
    host.mount(single, target);
    assertEquals("layer one", Files.readString(target.resolve("a.txt")));
    assertFalse(Files.exists(target.resolve("b.txt")));
    host.unmount(target);
  }
}
