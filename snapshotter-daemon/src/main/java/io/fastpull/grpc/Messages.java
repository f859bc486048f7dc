package io.fastpull.grpc;

import com.google.protobuf.Timestamp;
import io.fastpull.meta.Kind;
import io.fastpull.proto.containerd.types.Mount;
import io.fastpull.snapshot.Info;
import java.time.Instant;
import java.util.List;

/** Conversions between snapshot values and containerd's protobuf messages. */
final class Messages {
  private Messages() {}

  static List<Mount> mounts(List<io.fastpull.snapshot.Mount> mounts) {
    return mounts.stream()
        .map(
            m ->
                Mount.newBuilder()
                    .setType(m.type())
                    .setSource(m.source())
                    .addAllOptions(m.options())
                    .build())
        .toList();
  }

  static io.fastpull.proto.containerd.snapshots.v1.Info info(Info info) {
    return io.fastpull.proto.containerd.snapshots.v1.Info.newBuilder()
        .setName(info.name())
        .setParent(info.parent())
        .setKind(kind(info.kind()))
        .setCreatedAt(timestamp(info.created()))
        .setUpdatedAt(timestamp(info.updated()))
        .putAllLabels(info.labels())
        .build();
  }

  /** An Info for Update: only name and labels matter, the rest is immutable and ignored. */
  static Info updateInfo(io.fastpull.proto.containerd.snapshots.v1.Info info) {
    return new Info(
        info.getName(), info.getParent(), Kind.COMMITTED, Instant.EPOCH, Instant.EPOCH, info.getLabelsMap());
  }

  private static io.fastpull.proto.containerd.snapshots.v1.Kind kind(Kind kind) {
    switch (kind) {
      case VIEW:
        return io.fastpull.proto.containerd.snapshots.v1.Kind.VIEW;
      case ACTIVE:
        return io.fastpull.proto.containerd.snapshots.v1.Kind.ACTIVE;
      default:
        return io.fastpull.proto.containerd.snapshots.v1.Kind.COMMITTED;
    }
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
