package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import io.fastpull.proto.containerd.snapshots.v1.Info;
import io.fastpull.proto.cri.v1.ImageServiceGrpc;
import io.fastpull.proto.cri.v1.ImageSpec;
import io.fastpull.proto.cri.v1.ImageStatusRequest;
import io.fastpull.proto.cri.v1.PullImageRequest;
import io.fastpull.proto.cri.v1.RemoveImageRequest;
import io.fastpull.snapshot.RemoteLayerPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd 1.6's CRI plugin pulling through fastpull: its unpacker labels each layer (target
 * chain id, CRI layer labels), the fake mounter mounts the layer, the daemon answers
 * ALREADY_EXISTS, and containerd adopts the committed remote snapshot.
 */
class CriRemoteLayerTest {
  @TempDir Path dir;
  private DaemonHarness daemon;
  private Containerd containerd;
  private Registry registry;
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

  @Test
  void criPullAdoptsTheRemoteLayer() throws Exception {
    byte[] layer = ContainerdInteropTest.busyboxLayer();
    String chain = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(layer));
    Path sources = Files.createDirectories(dir.resolve("sources"));
    Path remote = Files.createDirectories(sources.resolve(chain.replace(':', '-')));
    Files.createDirectories(remote.resolve("bin"));
    Files.copy(Path.of("/bin/busybox"), remote.resolve("bin/busybox"));
    for (String link : List.of("sh", "echo", "cat")) {
      Files.createSymbolicLink(remote.resolve("bin/" + link), Path.of("busybox"));
    }
    Files.writeString(remote.resolve("remote-marker"), "mounted, not unpacked\n");
    FakeLayerMounter mounter = FakeLayerMounter.byTarget(sources);

    Path archive = dir.resolve("busybox.tar");
    Files.write(archive, ContainerdInteropTest.busyboxArchive());
    registry = Registry.start(dir.resolve("registry"));
    String ref = registry.push(archive, "fastpull/busybox:cri");
    daemon = DaemonHarness.start(dir.resolve("d"), mounter, RemoteLayerPolicy.labelled());
    containerd = Containerd.start(dir.resolve("c"), daemon.socket, registry.host);

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

    assertEquals(1, mounter.mounts.size(), "the layer was mounted, not unpacked");
    Calls calls = new Calls(daemon.stub());
    List<Info> committed = calls.list("kind==committed");
    assertEquals(1, committed.size(), committed::toString);
    Info info = committed.get(0);
    assertEquals(chain, info.getName(), "committed under containerd's target name");
    assertEquals(chain, info.getLabelsMap().get(RemoteLayerPolicy.TARGET_LABEL));
    assertTrue(info.getLabelsMap().containsKey(RemoteLayerPolicy.LAYER_DIGEST_LABEL), info::toString);
    assertTrue(info.getLabelsMap().containsKey(RemoteLayerPolicy.IMAGE_REF_LABEL), info::toString);
    assertFalse(calls.list("kind==active").stream().anyMatch(i -> i.getName().contains("extract")),
        "no extraction snapshot is left behind");

    String out = containerd.ctr("-n", "k8s.io", "run", "--rm", "--snapshotter", "fastpull", ref,
        "fp-cri", "/bin/cat", "/remote-marker");
    assertEquals("mounted, not unpacked", out.trim());

    images.removeImage(RemoveImageRequest.newBuilder().setImage(spec).build());
    assertFalse(images.imageStatus(ImageStatusRequest.newBuilder().setImage(spec).build()).hasImage());
  }
}
