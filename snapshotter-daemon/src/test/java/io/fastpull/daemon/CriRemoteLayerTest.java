package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import io.fastpull.format.LazyLayer;
import io.fastpull.format.Privileges;
import io.fastpull.proto.containerd.snapshots.v1.Info;
import io.fastpull.proto.control.v1.LayerStatus;
import io.fastpull.proto.control.v1.LayersRequest;
import io.fastpull.proto.cri.v1.ImageServiceGrpc;
import io.fastpull.proto.cri.v1.ImageSpec;
import io.fastpull.proto.cri.v1.ImageStatusRequest;
import io.fastpull.proto.cri.v1.PullImageRequest;
import io.fastpull.proto.cri.v1.RemoveImageRequest;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.snapshot.RemoteLayerPolicy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd 1.6's CRI plugin pulling a one-layer lazy image through fastpull, all parts real:
 * its unpacker labels the layer (target chain id, CRI layer labels), the daemon's FUSE mounter
 * mounts the lazy blob from the registry and answers ALREADY_EXISTS, and containerd adopts the
 * committed remote snapshot, so that a container runs from the FUSE layer.
 */
class CriRemoteLayerTest {
  private static final String MARKER = "mounted, not unpacked\n";

  @TempDir Path dir;
  private LazyDaemon d;
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
        if (d != null) {
          d.close();
        }
      }
    }
  }

  @Test
  void criPullAdoptsTheRemoteLayer() throws Exception {
    byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
    byte[] tar = Layers.tar(w -> {
      Layers.dir(w, "bin/", 0755);
      Layers.file(w, "bin/busybox", 0755, 0, 0, busybox, Map.of());
      for (String link : List.of("sh", "echo", "cat")) {
        Layers.symlink(w, "bin/" + link, "busybox");
      }
      Layers.file(w, "remote-marker", MARKER.getBytes(StandardCharsets.UTF_8));
    });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerWriter.Result converted = new LayerWriter(LayerWriter.Options.defaults())
        .write(new ByteArrayInputStream(tar), out);
    byte[] blob = out.toByteArray();
    // one layer: its chain id is its diff id
    String chain = converted.diffId();

    d = LazyDaemon.start(dir);
    String ref = d.registry.host() + "/fastpull/busybox:cri";
    ImageReference image = ImageReference.parse(ref);
    Digest blobDigest = d.client.pushBlob(image, blob);
    Descriptor layer = new Descriptor(LazyLayer.MEDIA_TYPE, blobDigest, blob.length,
        LazyLayer.annotations(converted.footer(), converted.diffId(), MediaTypes.OCI_LAYER_TAR,
            tar.length, converted.diffId()), null, null);
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + chain + "\"]}}")
        .getBytes(StandardCharsets.UTF_8);
    Digest configDigest = d.client.pushBlob(image, config);
    d.client.pushManifest(image, MediaTypes.OCI_MANIFEST, Manifest.oci(
        Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, config.length), List.of(layer))
        .toJson());

    containerd = Containerd.start(dir.resolve("c"), d.daemon.config().socket(),
        d.registry.host());
    cri = new CriClient(containerd.address);
    ImageServiceGrpc.ImageServiceBlockingStub images = cri.images();
    ImageSpec spec = ImageSpec.newBuilder().setImage(ref).build();
    String imageRef;
    try {
      imageRef = images.pullImage(PullImageRequest.newBuilder().setImage(spec).build()).getImageRef();
    } catch (RuntimeException e) {
      throw new AssertionError(e + "\ncontainerd log:\n" + containerd.log(), e);
    }
    assertTrue(imageRef.startsWith("sha256:"), imageRef);
    assertTrue(images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec).build()).hasImage());

    checkAdopted(d.socket, chain, blobDigest);

    String run = containerd.ctr("-n", "k8s.io", "run", "--rm", "--snapshotter", "fastpull", ref,
        "fp-cri", "/bin/cat", "/remote-marker");
    assertEquals(MARKER.trim(), run.trim());
    assertTrue(d.trace(blobDigest.toString()).size() > 0, "the container read through FUSE");

    images.removeImage(RemoveImageRequest.newBuilder().setImage(spec).build());
    assertFalse(images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec).build()).hasImage());
  }

  private static void checkAdopted(DaemonClient client, String chain, Digest blobDigest)
      throws Exception {
    // The layer is a FUSE mount of the lazy blob, not an unpacked copy.
    List<LayerStatus> mounted = client.control()
        .layers(LayersRequest.newBuilder().build()).getLayersList();
    assertEquals(1, mounted.size(), mounted::toString);
    LayerStatus status = mounted.get(0);
    assertEquals(blobDigest.toString(), status.getBlobDigest());
    assertTrue(Files.readString(Path.of("/proc/self/mounts"))
        .contains(" " + status.getMountpoint() + " fuse"), status::toString);

    Calls calls = client.calls;
    List<Info> committed = calls.list("kind==committed");
    assertEquals(1, committed.size(), committed::toString);
    Info info = committed.get(0);
    assertEquals(chain, info.getName(), "committed under containerd's target name");
    assertEquals(chain, info.getLabelsMap().get(RemoteLayerPolicy.TARGET_LABEL));
    assertEquals(blobDigest.toString(),
        info.getLabelsMap().get(RemoteLayerPolicy.LAYER_DIGEST_LABEL), info::toString);
    assertTrue(info.getLabelsMap().containsKey(RemoteLayerPolicy.IMAGE_REF_LABEL), info::toString);
    assertTrue(info.getLabelsMap().containsKey(LazyLayer.LABEL_META), info::toString);
    assertFalse(calls.list("kind==active").stream().anyMatch(i -> i.getName().contains("extract")),
        "no extraction snapshot is left behind");
  }
}
