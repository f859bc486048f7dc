package io.fastpull.grpc;

import static io.fastpull.grpc.Statuses.unary;

import com.google.protobuf.Empty;
import io.fastpull.proto.containerd.snapshots.v1.CleanupRequest;
import io.fastpull.proto.containerd.snapshots.v1.CommitSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.ListSnapshotsRequest;
import io.fastpull.proto.containerd.snapshots.v1.ListSnapshotsResponse;
import io.fastpull.proto.containerd.snapshots.v1.MountsRequest;
import io.fastpull.proto.containerd.snapshots.v1.MountsResponse;
import io.fastpull.proto.containerd.snapshots.v1.PrepareSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.PrepareSnapshotResponse;
import io.fastpull.proto.containerd.snapshots.v1.RemoveSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.SnapshotsGrpc;
import io.fastpull.proto.containerd.snapshots.v1.StatSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.StatSnapshotResponse;
import io.fastpull.proto.containerd.snapshots.v1.UpdateSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.UpdateSnapshotResponse;
import io.fastpull.proto.containerd.snapshots.v1.UsageRequest;
import io.fastpull.proto.containerd.snapshots.v1.UsageResponse;
import io.fastpull.proto.containerd.snapshots.v1.ViewSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.ViewSnapshotResponse;
import io.fastpull.snapshot.Snapshotter;
import io.fastpull.snapshot.Usage;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;

/** containerd's Snapshots service as a thin adapter over a {@link Snapshotter}. */
final class SnapshotsService extends SnapshotsGrpc.SnapshotsImplBase {
  // containerd's own service streams List in batches of this size
  private static final int LIST_BATCH = 100;

  private final Snapshotter snapshotter;

  SnapshotsService(Snapshotter snapshotter) {
    this.snapshotter = snapshotter;
  }

  @Override
  public void prepare(PrepareSnapshotRequest r, StreamObserver<PrepareSnapshotResponse> out) {
    unary("Prepare", r.getKey(), out, () -> PrepareSnapshotResponse.newBuilder()
        .addAllMounts(Messages.mounts(snapshotter.prepare(r.getKey(), r.getParent(), r.getLabelsMap())))
        .build());
  }

  @Override
  public void view(ViewSnapshotRequest r, StreamObserver<ViewSnapshotResponse> out) {
    unary("View", r.getKey(), out, () -> ViewSnapshotResponse.newBuilder()
        .addAllMounts(Messages.mounts(snapshotter.view(r.getKey(), r.getParent(), r.getLabelsMap())))
        .build());
  }

  @Override
  public void mounts(MountsRequest r, StreamObserver<MountsResponse> out) {
    unary("Mounts", r.getKey(), out, () -> MountsResponse.newBuilder()
        .addAllMounts(Messages.mounts(snapshotter.mounts(r.getKey())))
        .build());
  }

  @Override
  public void commit(CommitSnapshotRequest r, StreamObserver<Empty> out) {
    unary("Commit", r.getKey(), out, () -> {
      snapshotter.commit(r.getName(), r.getKey(), r.getLabelsMap());
      return Empty.getDefaultInstance();
    });
  }

  @Override
  public void remove(RemoveSnapshotRequest r, StreamObserver<Empty> out) {
    unary("Remove", r.getKey(), out, () -> {
      snapshotter.remove(r.getKey());
      return Empty.getDefaultInstance();
    });
  }

  @Override
  public void stat(StatSnapshotRequest r, StreamObserver<StatSnapshotResponse> out) {
    unary("Stat", r.getKey(), out, () -> StatSnapshotResponse.newBuilder()
        .setInfo(Messages.info(snapshotter.stat(r.getKey())))
        .build());
  }

  @Override
  public void update(UpdateSnapshotRequest r, StreamObserver<UpdateSnapshotResponse> out) {
    unary("Update", r.getInfo().getName(), out, () -> UpdateSnapshotResponse.newBuilder()
        .setInfo(Messages.info(snapshotter.update(
            Messages.updateInfo(r.getInfo()), r.getUpdateMask().getPathsList())))
        .build());
  }

  @Override
  public void list(ListSnapshotsRequest r, StreamObserver<ListSnapshotsResponse> out) {
    try {
      List<io.fastpull.proto.containerd.snapshots.v1.Info> batch = new ArrayList<>();
      snapshotter.list(r.getFiltersList(), info -> {
        batch.add(Messages.info(info));
        if (batch.size() == LIST_BATCH) {
          out.onNext(ListSnapshotsResponse.newBuilder().addAllInfo(batch).build());
          batch.clear();
        }
      });
      if (!batch.isEmpty()) {
        out.onNext(ListSnapshotsResponse.newBuilder().addAllInfo(batch).build());
      }
      out.onCompleted();
    } catch (Exception e) {
      out.onError(Statuses.of("List", String.join(" | ", r.getFiltersList()), e));
    }
  }

  @Override
  public void usage(UsageRequest r, StreamObserver<UsageResponse> out) {
    unary("Usage", r.getKey(), out, () -> {
      Usage u = snapshotter.usage(r.getKey());
      return UsageResponse.newBuilder().setSize(u.size()).setInodes(u.inodes()).build();
    });
  }

  @Override
  public void cleanup(CleanupRequest r, StreamObserver<Empty> out) {
    unary("Cleanup", "", out, () -> {
      snapshotter.cleanup();
      return Empty.getDefaultInstance();
    });
  }
}
