package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import io.fastpull.snapshot.LayerMounter;
import io.fastpull.snapshot.RemoteLayerPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon as a proxy snapshotter of a real containerd 1.6, driven with ctr. */
class ContainerdInteropTest {
  private static final String IMAGE = "fastpull.test/busybox:1";

  @TempDir Path dir;
  private DaemonHarness daemon;
  private Containerd containerd;
  private Registry registry;

  @BeforeEach
  void start() throws Exception {
    Privileges.requireRoot();
  }

  private void start(LayerMounter mounter, RemoteLayerPolicy policy) throws Exception {
    daemon = DaemonHarness.start(dir.resolve("d"), mounter, policy);
    containerd = Containerd.start(dir.resolve("c"), daemon.socket);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (containerd != null) {
        containerd.close();
      }
      if (registry != null) {
        registry.close();
      }
    } finally {
      try {
        HostMounts.unmountAllUnder(dir);
      } finally {
        if (daemon != null) {
          daemon.close();
        }
      }
    }
  }

  private String ctr(String... args) throws Exception {
    try {
      return containerd.ctr(args);
    } catch (IOException e) {
      throw new AssertionError(e.getMessage() + "\ncontainerd log:\n" + containerd.log(), e);
    }
  }

  @Test
  void snapshotRoundTripsThroughCtr() throws Exception {
    start(LayerMounter.none(), RemoteLayerPolicy.labelled());
    String plugins = ctr("plugins", "ls");
    assertTrue(plugins.lines().anyMatch(l -> l.contains("io.containerd.snapshotter.v1") && l.contains("fastpull") && l.trim().endsWith("ok")), plugins);

    String sn = "--snapshotter";
    ctr("snapshots", sn, "fastpull", "prepare", "k1");
    Path target = Files.createDirectories(dir.resolve("mnt"));
    String mountCmd = ctr("snapshots", sn, "fastpull", "mounts", target.toString(), "k1");
    assertTrue(mountCmd.contains("mount -t bind") && mountCmd.contains("rw,rbind"), mountCmd);
    ctr("snapshots", sn, "fastpull", "commit", "c1", "k1");
    ctr("snapshots", sn, "fastpull", "prepare", "k2", "c1");
    ctr("snapshots", sn, "fastpull", "commit", "c2", "k2");
    ctr("snapshots", sn, "fastpull", "view", "v1", "c2");
    String overlay = ctr("snapshots", sn, "fastpull", "mounts", target.toString(), "v1");
    assertTrue(overlay.contains("mount -t overlay overlay") && overlay.contains("lowerdir="), overlay);
    String ls = ctr("snapshots", sn, "fastpull", "ls");
    assertTrue(ls.contains("c1") && ls.contains("c2") && ls.contains("v1"), ls);
    assertTrue(ls.lines().anyMatch(l -> l.startsWith("c2") && l.contains("c1") && l.contains("Committed")), ls);
    String usage = ctr("snapshots", sn, "fastpull", "usage", "c1");
    assertTrue(usage.contains("c1"), usage);
    ctr("snapshots", sn, "fastpull", "label", "c2", "fastpull.test/x=1");
    String info = ctr("snapshots", sn, "fastpull", "info", "c2");
    assertTrue(info.contains("\"fastpull.test/x\": \"1\""), info);
    Containerd.Result refused = containerd.run(List.of("snapshots", sn, "fastpull", "rm", "c1"));
    assertTrue(refused.exit() != 0, "a parent cannot be removed: " + refused.output());
    ctr("snapshots", sn, "fastpull", "rm", "v1");
    ctr("snapshots", sn, "fastpull", "rm", "c2");
    ctr("snapshots", sn, "fastpull", "rm", "c1");
    assertEquals("", ctr("snapshots", sn, "fastpull", "ls").lines().skip(1).reduce("", String::concat));
    awaitAtMost(0);
    assertEquals(List.of(), new Calls(daemon.stub()).names(),
        "containerd's GC removed them from the snapshotter");
  }

  @Test
  void importedImageRunsOnFastpullSnapshots() throws Exception {
    start(LayerMounter.none(), RemoteLayerPolicy.labelled());
    Path archive = dir.resolve("busybox.tar");
    Files.write(archive, busyboxArchive());
    ctr("images", "import", "--snapshotter", "fastpull", archive.toString());
    Calls calls = new Calls(daemon.stub());
    assertEquals(1, calls.list("kind==committed").size(), calls.list().toString());

    String out = ctr("run", "--rm", "--snapshotter", "fastpull", IMAGE, "fp-ok", "/bin/echo", "ok");
    assertEquals("ok", out.trim());
    String sh = ctr("run", "--rm", "--snapshotter", "fastpull", IMAGE, "fp-sh", "/bin/sh", "-c", "echo written > /tmp-file && cat /tmp-file");
    assertEquals("written", sh.trim());
    awaitAtMost(1);
    assertEquals(1, new Calls(daemon.stub()).list().size(),
        "container snapshots collected after --rm");

    ctr("images", "rm", "--sync", IMAGE);
    awaitAtMost(0);
    assertEquals(List.of(), new Calls(daemon.stub()).names(), "containerd's GC removed the layer");
    try (var s = Files.list(daemon.root.resolve("snapshots"))) {
      assertFalse(s.findAny().isPresent(), "directories removed");
    }
  }

  @Test
  void pulledImageRunsOnFastpullSnapshots() throws Exception {
    start(LayerMounter.none(), RemoteLayerPolicy.labelled());
    String ref = pushBusybox();
    ctr("images", "pull", "--plain-http", "--snapshotter", "fastpull", ref);
    String out = ctr("run", "--rm", "--snapshotter", "fastpull", ref, "fp-pulled", "/bin/echo", "ok");
    assertEquals("ok", out.trim());
    ctr("images", "rm", "--sync", ref);
    awaitAtMost(0);
    assertEquals(List.of(), new Calls(daemon.stub()).names());
  }

  private String pushBusybox() throws Exception {
    Path archive = dir.resolve("busybox.tar");
    Files.write(archive, busyboxArchive());
    registry = Registry.start(dir.resolve("registry"));
    return registry.push(archive, "fastpull/busybox:1");
  }

  /** Waits (bounded) until the snapshotter holds at most {@code left} snapshots, forcing GC. */
  private void awaitAtMost(int left) throws IOException, InterruptedException {
    for (int i = 0; i < 20 && new Calls(daemon.stub()).list().size() > left; i++) {
      containerd.collectGarbage("default");
      Thread.sleep(100);
    }
  }

  /** A one-layer docker-archive: busybox-static as /bin/busybox with sh and echo links. */
  static byte[] busyboxArchive() throws IOException {
    byte[] layer = busyboxLayer();
    String layerDigest = sha256(layer);
    String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
    byte[] config = ("{\"architecture\":\"" + arch + "\",\"os\":\"linux\","
        + "\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"/bin/sh\"]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" + layerDigest + "\"]}}")
        .getBytes(StandardCharsets.UTF_8);
    String configName = sha256(config) + ".json";
    byte[] manifest = ("[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"" + IMAGE + "\"],"
        + "\"Layers\":[\"" + layerDigest + "/layer.tar\"]}]").getBytes(StandardCharsets.UTF_8);
    return new TarBuilder()
        .file("manifest.json", 0644, manifest)
        .file(configName, 0644, config)
        .dir(layerDigest)
        .file(layerDigest + "/layer.tar", 0644, layer)
        .build();
  }

  /** The image's one layer: uncompressed, so its digest is also the chain id. */
  static byte[] busyboxLayer() throws IOException {
    byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
    return new TarBuilder()
        .dir("bin")
        .file("bin/busybox", 0755, busybox)
        .symlink("bin/sh", "busybox")
        .symlink("bin/echo", "busybox")
        .symlink("bin/cat", "busybox")
        .dir("tmp")
        .build();
  }

  private static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
