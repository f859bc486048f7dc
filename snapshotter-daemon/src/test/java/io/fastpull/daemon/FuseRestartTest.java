package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.BlobFooter;
import io.fastpull.format.Layers;
import io.fastpull.format.LazyLayer;
import io.fastpull.format.Privileges;
import io.fastpull.proto.containerd.snapshots.v1.Info;
import io.fastpull.proto.cri.v1.ImageSpec;
import io.fastpull.proto.cri.v1.PullImageRequest;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.LocalRegistry;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Restart recovery with real parts: the daemon in a JVM of its own with its FUSE mounter over a
 * local registry, containerd 1.6's CRI plugin pulling a lazy image through it, runc running
 * containers from the lazy layers. After a graceful stop, and after a kill -9 while a container
 * runs on the layers, a restarted daemon serves new containers from the same image with the right
 * bytes.
 */
class FuseRestartTest {
  private static final String DATA = "hello from a lazy layer after a restart\n";

  @TempDir Path dir;
  private LocalRegistry registry;
  private ChildDaemon daemon;
  private Containerd containerd;
  private final List<String> tasks = new ArrayList<>();
  private byte[] weights;
  private String ref;

  @BeforeEach
  void setUp() throws Exception {
    Privileges.requireRoot();
    registry = LocalRegistry.builder(dir.resolve("registry")).start();
    ref = registry.host() + "/fastpull/restart:1";
    weights = Layers.bytes(3 << 20, 11, false);
    pushImage();
    daemon = startDaemon();
    containerd = Containerd.start(dir.resolve("c"), daemon.socket, registry.host());
    try (CriClient cri = new CriClient(containerd.address)) {
      PullImageRequest pull = PullImageRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(ref)).build();
      try {
        cri.images().pullImage(pull);
      } catch (StatusRuntimeException e) {
        // a JVM started a moment ago on a busy machine may miss containerd's first handshake
        // deadline; containerd dials again for the next call
        if (!String.valueOf(e.getStatus().getDescription()).contains("handshake")) {
          throw e;
        }
        cri.images().pullImage(pull);
      }
    } catch (RuntimeException e) {
      throw new AssertionError(e + "\ncontainerd log:\n" + containerd.log() + "\ndaemon log:\n"
          + daemon.log(), e);
    }
    try (DaemonClient c = new DaemonClient(daemon.socket)) {
      List<Info> committed = c.calls.list("kind==committed");
      assertEquals(2, committed.size(), committed::toString);
      for (Info i : committed) {
        assertTrue(i.getLabelsMap().containsKey(LazyLayer.LABEL_META), "lazy: " + i);
      }
    }
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      for (String t : tasks) {
        containerd.run(List.of("-n", "k8s.io", "task", "kill", "-s", "KILL", t));
        for (int i = 0; i < 50 && containerd.run(List.of("-n", "k8s.io", "task", "delete", t))
            .exit() != 0; i++) {
          Thread.sleep(100);
        }
        containerd.run(List.of("-n", "k8s.io", "container", "delete", t));
      }
    } finally {
      try {
        if (containerd != null) {
          containerd.close();
        }
      } finally {
        try {
          if (daemon != null) {
            daemon.close();
          }
        } finally {
          try {
            HostMounts.unmountAllUnder(dir, true);
          } finally {
            registry.close();
          }
        }
      }
    }
  }

  /**
   * Starts the daemon and makes one call on its socket before containerd does: the first call
   * of a fresh JVM loads and compiles the server's HTTP/2 path, which on a busy machine can take
   * longer than containerd's handshake deadline.
   */
  private ChildDaemon startDaemon() throws IOException, InterruptedException {
    ChildDaemon d = startDaemonProcess();
    try (DaemonClient c = new DaemonClient(d.socket)) {
      c.calls.list();
    }
    return d;
  }

  private ChildDaemon startDaemonProcess() throws IOException, InterruptedException {
    return ChildDaemon.start(dir.resolve("d"), "lazy = true\n"
        + "metrics_address = \"disabled\"\n"
        + "hosts_dir = \"\"\n"
        + "docker_config = \"\"\n"
        + "plain_http = [\"" + registry.host() + "\"]\n"
        + "background_fetch = false\n"
        + "cache_size = \"64MiB\"\n"
        + "shutdown_timeout = \"5s\"\n"
        + "log_level = \"info\"\n");
  }

  /** busybox and a data layer, both lazy blobs. */
  private void pushImage() throws IOException {
    List<LazyPullTest.Layer> layers = List.of(
        LazyPullTest.convert(ContainerdInteropTest.busyboxLayer()),
        LazyPullTest.convert(Layers.tar(w -> {
          Layers.dir(w, "data/", 0755);
          Layers.file(w, "data/greeting", DATA.getBytes(StandardCharsets.UTF_8));
          Layers.file(w, "data/weights.bin", weights);
        })));
    ImageReference image = ImageReference.parse(ref);
    try (RegistryClient client = RegistryClient.builder().plainHttp(registry.host()).build()) {
      List<Descriptor> descriptors = new ArrayList<>();
      List<String> diffIds = new ArrayList<>();
      for (LazyPullTest.Layer l : layers) {
        Digest d = client.pushBlob(image, l.blob());
        BlobFooter f = l.result().footer();
        descriptors.add(new Descriptor(LazyLayer.MEDIA_TYPE, d, l.blob().length,
            LazyLayer.annotations(f, l.result().diffId(), MediaTypes.OCI_LAYER_TAR, l.tar().length,
                l.result().diffId()), null, null));
        diffIds.add(l.result().diffId());
      }
      byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":"
          + "[\"PATH=/bin\"],\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
          + String.join("\",\"", diffIds) + "\"]}}").getBytes(StandardCharsets.UTF_8);
      Digest configDigest = client.pushBlob(image, config);
      client.pushManifest(image, MediaTypes.OCI_MANIFEST, Manifest.oci(
          Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, config.length), descriptors).toJson());
    }
  }

  /**
   * Runs a new container from the image that prints the small file and the big file's SHA-256.
   * Retried for a while only when containerd's connection to the snapshotter is still
   * reconnecting (gRPC backs off after the daemon went away); any other failure fails at once.
   */
  private void runNewContainerAndCheckBytes(String name) throws Exception {
    String want = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(weights));
    Containerd.Result r = null;
    for (int i = 0; i < 60; i++) {
      r = containerd.run(List.of("-n", "k8s.io", "run", "--rm", "--snapshotter", "fastpull", ref,
          name, "/bin/sh", "-c", "cat /data/greeting && /bin/busybox sha256sum /data/weights.bin"));
      if (r.exit() == 0 || !r.output().toLowerCase(java.util.Locale.ROOT).contains("unavailable")) {
        break;
      }
      Thread.sleep(500);
    }
    Containerd.Result last = r;
    assertEquals(0, r.exit(), () -> "new container failed: " + last.output() + "\ncontainerd log:\n"
        + containerdOutput() + "\ndaemon log:\n" + daemon.log());
    assertEquals(DATA + want + "  /data/weights.bin", r.output().trim());
  }

  private String containerdOutput() {
    try {
      return containerd.log();
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** The FUSE mount points of the remote snapshots. */
  private List<Path> layerMounts() throws IOException {
    List<Path> out = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      String fstype = line.substring(line.indexOf(" - ") + 3).split(" ")[0];
      if (f[4].startsWith(dir.resolve("d/root/snapshots").toString()) && fstype.startsWith("fuse")) {
        out.add(Path.of(f[4]));
      }
    }
    return out;
  }

  /**
   * Whether the mount at {@code mountpoint} has no server: opening it asks the server (a stat
   * could be answered from the kernel's attribute cache).
   */
  private static boolean notConnected(Path mountpoint) {
    try (var ds = Files.newDirectoryStream(mountpoint)) {
      return false;
    } catch (FileSystemException e) {
      return String.valueOf(e.getReason()).contains("not connected");
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void gracefulRestartServesNewContainersFromTheSameImage() throws Exception {
    runNewContainerAndCheckBytes("before");
    daemon.stop();
    assertEquals(List.of(), layerMounts(), "a graceful stop unmounts every layer");
    daemon = startDaemon();
    assertEquals(2, layerMounts().size(), "both layers remounted:\n" + daemon.log());
    runNewContainerAndCheckBytes("after");
  }

  @Test
  void afterKill9NewContainersStartFromTheSameImage() throws Exception {
    containerd.ctr("-n", "k8s.io", "run", "-d", "--snapshotter", "fastpull", ref, "running",
        "/bin/sh", "-c", "cat /data/greeting >/dev/null && exec /bin/busybox sleep 600");
    tasks.add("running");
    List<Path> mounts = layerMounts();
    assertEquals(2, mounts.size(), mounts::toString);

    daemon.kill();
    for (Path mp : mounts) {
      assertTrue(notConnected(mp), "a killed daemon leaves a dead mount at " + mp);
    }

    daemon = startDaemon();
    for (Path mp : mounts) {
      assertTrue(!notConnected(mp), "remounted at " + mp + ":\n" + daemon.log());
    }
    assertEquals(2, layerMounts().size(), "dead mounts detached, one live mount each: "
        + layerMounts());
    runNewContainerAndCheckBytes("after-crash");
  }
}
