package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.FieldMask;
import io.fastpull.proto.containerd.snapshots.v1.CommitSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.Info;
import io.fastpull.proto.containerd.snapshots.v1.ListSnapshotsRequest;
import io.fastpull.proto.containerd.snapshots.v1.MountsRequest;
import io.fastpull.proto.containerd.snapshots.v1.PrepareSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.RemoveSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.SnapshotsGrpc.SnapshotsBlockingStub;
import io.fastpull.proto.containerd.snapshots.v1.StatSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.UpdateSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.ViewSnapshotRequest;
import io.fastpull.proto.containerd.types.Mount;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.function.Executable;

/**
 * Short forms of the snapshots RPCs for tests. Each call gets a deadline of its own: a stub's
 * deadline is a point in time, so one set when the stub was made would fail every call made a
 * minute later, however quick.
 */
final class Calls {
  private static final long DEADLINE_SECONDS = 60;
  private final SnapshotsBlockingStub stub;

  Calls(SnapshotsBlockingStub stub) {
    this.stub = stub;
  }

  private SnapshotsBlockingStub stub() {
    return stub.withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  List<Mount> prepare(String key, String parent, Map<String, String> labels) {
    return stub().prepare(PrepareSnapshotRequest.newBuilder()
        .setSnapshotter("fastpull").setKey(key).setParent(parent).putAllLabels(labels).build())
        .getMountsList();
  }

  List<Mount> prepare(String key, String parent) {
    return prepare(key, parent, Map.of());
  }

  List<Mount> view(String key, String parent) {
    return stub().view(ViewSnapshotRequest.newBuilder().setKey(key).setParent(parent).build())
        .getMountsList();
  }

  List<Mount> mounts(String key) {
    return stub().mounts(MountsRequest.newBuilder().setKey(key).build()).getMountsList();
  }

  void commit(String name, String key, Map<String, String> labels) {
    stub().commit(CommitSnapshotRequest.newBuilder().setName(name).setKey(key).putAllLabels(labels).build());
  }

  void commit(String name, String key) {
    commit(name, key, Map.of());
  }

  /** Prepare + commit: a committed layer {@code name} on {@code parent}. */
  void layer(String name, String parent) {
    prepare("tmp-" + name, parent);
    commit(name, "tmp-" + name);
  }

  void remove(String key) {
    stub().remove(RemoveSnapshotRequest.newBuilder().setKey(key).build());
  }

  Info stat(String key) {
    return stub().stat(StatSnapshotRequest.newBuilder().setKey(key).build()).getInfo();
  }

  Info update(String name, Map<String, String> labels, String... paths) {
    return stub().update(UpdateSnapshotRequest.newBuilder()
        .setInfo(Info.newBuilder().setName(name).putAllLabels(labels))
        .setUpdateMask(FieldMask.newBuilder().addAllPaths(List.of(paths)))
        .build()).getInfo();
  }

  List<Info> list(String... filters) {
    List<Info> all = new ArrayList<>();
    stub().list(ListSnapshotsRequest.newBuilder().addAllFilters(List.of(filters)).build())
        .forEachRemaining(r -> all.addAll(r.getInfoList()));
    return all;
  }

  /** The number of snapshots in each message of the List stream, in order. */
  List<Integer> listBatches(String... filters) {
    List<Integer> sizes = new ArrayList<>();
    stub().list(ListSnapshotsRequest.newBuilder().addAllFilters(List.of(filters)).build())
        .forEachRemaining(r -> sizes.add(r.getInfoCount()));
    return sizes;
  }

  List<String> names(String... filters) {
    return list(filters).stream().map(Info::getName).sorted().toList();
  }

  static void assertCode(Status.Code code, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), () -> "status was " + e.getStatus());
  }
}
