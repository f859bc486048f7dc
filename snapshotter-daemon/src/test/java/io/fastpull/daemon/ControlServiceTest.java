package io.fastpull.daemon;

import static io.fastpull.daemon.Calls.assertCode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import io.fastpull.proto.control.v1.ControlGrpc.ControlBlockingStub;
import io.fastpull.proto.control.v1.LayerStatus;
import io.fastpull.proto.control.v1.LayerTrace;
import io.fastpull.proto.control.v1.LayersRequest;
import io.fastpull.proto.control.v1.TracesRequest;
import io.grpc.Status.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control service on the daemon's real socket, over a lazy layer mounted with real FUSE from
 * a real registry (prepared the way containerd's CRI unpacker does): Layers reports it and its
 * counters move with reads, Traces lists the chunks read in read order, ResetTraces starts over,
 * and a blob that is not mounted is NOT_FOUND.
 */
class ControlServiceTest {
  private static final String MISSING = "sha256:" + "0".repeat(64);
  @TempDir Path dir;
  private LazyDaemon d;
  private LazyImage image;
  private String blob;

  @BeforeEach
  void mount() throws Exception {
    Privileges.requireRoot();
    d = LazyDaemon.start(dir);
    image = LazyImage.push(d.client, d.registry.host() + "/fastpull/ctl:1", 1);
    blob = image.layer().toString();
    assertCode(Code.ALREADY_EXISTS, () -> d.socket.calls.prepare("default/1/extract-1", "",
        image.criLabels()));
  }

  @AfterEach
  void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  @Test
  void layersReportsTheMountAndItsCountersMoveWithReads() throws Exception {
    // no profile was pushed: once the lookup has answered, the blob's table is the prefetch
    LayerStatus s = d.awaitLayer(blob, l -> !l.getPrefetchSource().equals("none"));
    assertEquals("table", s.getPrefetchSource());
    assertEquals(1, s.getPrefetchChunks());
    assertEquals("default/1/extract-1", s.getSnapshotKey());
    assertEquals(d.registry.host() + "/fastpull/ctl", s.getRepository());
    assertEquals(image.meta().chunkCount(), s.getChunkCount());
    assertEquals(image.meta().chunkDataSize(), s.getStoredBytes());
    assertEquals(0, s.getOnDemandWaits());
    assertEquals(List.of(blob), d.socket.control().layers(LayersRequest.getDefaultInstance())
        .getLayersList().stream().map(LayerStatus::getBlobDigest).toList(),
        "an empty request lists every mounted layer");

    Path mnt = Path.of(s.getMountpoint());
    assertArrayEquals(image.files().get("bin/c"), Files.readAllBytes(mnt.resolve("bin/c")));
    LayerStatus after = d.layer(blob);
    assertTrue(after.getOnDemandWaits() >= 1, after::toString);
    assertTrue(after.getSourceRequests() > s.getSourceRequests(), after::toString);
    assertTrue(after.getFetchedBytes() >= s.getFetchedBytes() + image.storedBytes("bin/c"),
        after::toString);
    assertTrue(after.getOnDemandWaitMicros() > 0, after::toString);
    assertEquals(0, after.getFailures());
  }

  @Test
  void tracesListChunksInReadOrderUntilReset() throws Exception {
    Path mnt = Path.of(d.layer(blob).getMountpoint());
    assertEquals(List.of(), d.trace(blob), "prefetch is not a read");
    for (String f : List.of("bin/c", "bin/a", "bin/b")) {
      assertArrayEquals(image.files().get(f), Files.readAllBytes(mnt.resolve(f)));
    }
    assertEquals(List.of(image.chunkOf("bin/c"), image.chunkOf("bin/a"), image.chunkOf("bin/b")),
        d.trace(blob));
    List<LayerTrace> all = d.socket.control().traces(TracesRequest.getDefaultInstance())
        .getTracesList();
    assertEquals(1, all.size());
    assertEquals(blob, all.get(0).getBlobDigest());

    d.socket.control().resetTraces(TracesRequest.newBuilder().addBlobDigests(blob).build());
    assertEquals(List.of(), d.trace(blob));
    assertArrayEquals(image.files().get("bin/d"), Files.readAllBytes(mnt.resolve("bin/d")));
    assertEquals(List.of(image.chunkOf("bin/d")), d.trace(blob));
    d.socket.control().resetTraces(TracesRequest.getDefaultInstance());
    assertEquals(List.of(), d.trace(blob), "an empty request resets every layer");
  }

  @Test
  void aBlobThatIsNotMountedIsNotFound() {
    ControlBlockingStub c = d.socket.control();
    LayersRequest layers = LayersRequest.newBuilder().addBlobDigests(blob)
        .addBlobDigests(MISSING).build();
    TracesRequest traces = TracesRequest.newBuilder().addBlobDigests(MISSING).build();
    assertCode(Code.NOT_FOUND, () -> c.layers(layers));
    assertCode(Code.NOT_FOUND, () -> c.traces(traces));
    assertCode(Code.NOT_FOUND, () -> c.resetTraces(traces));
    assertCode(Code.INVALID_ARGUMENT, () -> c.traces(
        TracesRequest.newBuilder().addBlobDigests("not-a-digest").build()));
  }
}
