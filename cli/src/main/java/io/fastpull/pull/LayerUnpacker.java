package io.fastpull.pull;

import io.fastpull.format.LazyLayer;
import io.fastpull.progress.Progress;
import io.fastpull.proto.containerd.diff.v1.ApplyRequest;
import io.fastpull.proto.containerd.diff.v1.ApplyResponse;
import io.fastpull.proto.containerd.snapshots.v1.CommitSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.PrepareSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.RemoveSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.StatSnapshotRequest;
import io.fastpull.proto.containerd.types.Mount;
import io.fastpull.pull.LayerResult.Outcome;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts one layer into containerd as a committed snapshot named by its chain id, as containerd's
 * unpacker does: Stat the chain id; Prepare an extract key with the snapshot labels (a remote
 * snapshotter answers ALREADY_EXISTS when it mounted the layer itself); otherwise download the
 * blob into the content store, Diff.Apply it onto the prepared mounts and Commit. The extract key
 * is removed when anything after Prepare fails.
 */
final class LayerUnpacker {
  private static final Logger log = LoggerFactory.getLogger(LayerUnpacker.class);

  private final ContainerdConnection containerd;
  private final ContentStore content;
  private final RegistryClient registry;
  private final String snapshotter;
  private final Progress<LayerResult> progress;
  private final Clock clock;

  LayerUnpacker(ContainerdConnection containerd, ContentStore content, RegistryClient registry,
      String snapshotter, Progress<LayerResult> progress, Clock clock) {
    this.containerd = containerd;
    this.content = content;
    this.registry = registry;
    this.snapshotter = snapshotter;
    this.progress = progress;
    this.clock = clock;
  }

  /**
   * @param parent the chain id of the layer below, or "" for the base layer
   * @param labels the Prepare and Commit labels ({@link Labels#snapshot})
   */
  LayerResult unpack(ImageReference repo, int index, Descriptor layer, String diffId,
      String chainId, String parent, Map<String, String> labels) throws IOException {
    long start = clock.millis();
    if (exists(chainId)) {
      return result(index, layer, chainId, Outcome.EXISTS, 0, start);
    }
    String key = "extract-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
        + " " + chainId;
    List<Mount> mounts;
    try {
      mounts = containerd.snapshots().prepare(PrepareSnapshotRequest.newBuilder()
          .setSnapshotter(snapshotter).setKey(key).setParent(parent).putAllLabels(labels)
          .build()).getMountsList();
    } catch (StatusRuntimeException e) {
      if (ContainerdConnection.is(e, Status.Code.ALREADY_EXISTS)) {
        // The snapshotter committed the target itself: a lazy mount (or a concurrent pull).
        boolean lazy = Labels.lazyFooter(layer).isPresent();
        return result(index, layer, chainId, lazy ? Outcome.LAZY : Outcome.EXISTS, 0, start);
      }
      throw containerd.failure("preparing snapshot for layer " + layer.digest(), e);
    }
    boolean committed = false;
    try {
      Descriptor blob = tarBlob(layer);
      Map<String, String> blobLabels = new HashMap<>(Labels.source(repo));
      blobLabels.put(Labels.UNCOMPRESSED, diffId);
      long read = content.ensure(blob.digest(), blob.size(), blobLabels,
          () -> registry.openBlob(repo, blob.digest()),
          n -> progress.layerBytes(layer, n, blob.size()));
      apply(blob, mounts, diffId);
      try {
        containerd.snapshots().commit(CommitSnapshotRequest.newBuilder()
            .setSnapshotter(snapshotter).setName(chainId).setKey(key).putAllLabels(labels)
            .build());
      } catch (StatusRuntimeException e) {
        if (!ContainerdConnection.is(e, Status.Code.ALREADY_EXISTS)) {
          throw containerd.failure("committing snapshot " + chainId, e);
        }
        // Someone committed the same chain id meanwhile; ours is surplus.
        remove(key);
      }
      committed = true;
      return result(index, layer, chainId, Outcome.DOWNLOADED, read, start);
    } finally {
      if (!committed) {
        remove(key);
      }
    }
  }

  private boolean exists(String chainId) throws PullException {
    try {
      containerd.snapshots().stat(StatSnapshotRequest.newBuilder().setSnapshotter(snapshotter)
          .setKey(chainId).build());
      return true;
    } catch (StatusRuntimeException e) {
      if (ContainerdConnection.is(e, Status.Code.NOT_FOUND)) {
        return false;
      }
      throw containerd.failure("stat of snapshot " + chainId, e);
    }
  }

  /**
   * The tar blob to apply: the layer itself, or for a lazy layer (which is no tar) the original
   * layer its annotations name.
   */
  static Descriptor tarBlob(Descriptor layer) throws PullException {
    if (!LazyLayer.MEDIA_TYPE.equals(layer.mediaType())) {
      return layer;
    }
    Map<String, String> a = layer.annotations();
    String digest = a.get(LazyLayer.SOURCE_DIGEST);
    String type = a.get(LazyLayer.SOURCE_MEDIA_TYPE);
    String size = a.get(LazyLayer.SOURCE_SIZE);
    if (digest == null || type == null || size == null) {
      throw new PullException(PullException.Kind.BAD_IMAGE, "lazy layer " + layer.digest()
          + " was not mounted by the snapshotter and names no original layer ("
          + LazyLayer.SOURCE_DIGEST + "); is the fastpull daemon running with lazy pulling on?");
    }
    try {
      return Descriptor.of(type, Digest.parse(digest), Long.parseLong(size));
    } catch (IllegalArgumentException e) {
      throw new PullException(PullException.Kind.BAD_IMAGE, "lazy layer " + layer.digest()
          + " has a malformed original layer annotation: " + e.getMessage(), e);
    }
  }

  private void apply(Descriptor blob, List<Mount> mounts, String diffId) throws PullException {
    ApplyResponse applied;
    try {
      applied = containerd.diff().apply(ApplyRequest.newBuilder()
          .setDiff(io.fastpull.proto.containerd.types.Descriptor.newBuilder()
              .setMediaType(blob.mediaType()).setDigest(blob.digest().toString())
              .setSize(blob.size()))
          .addAllMounts(mounts).build());
    } catch (StatusRuntimeException e) {
      throw containerd.failure("applying layer " + blob.digest(), e);
    }
    if (!applied.getApplied().getDigest().equals(diffId)) {
      throw new PullException(PullException.Kind.BAD_IMAGE, "layer " + blob.digest()
          + " unpacked to " + applied.getApplied().getDigest() + " but the config's diff_id is "
          + diffId);
    }
  }

  private void remove(String key) {
    try {
      containerd.snapshots().remove(RemoveSnapshotRequest.newBuilder()
          .setSnapshotter(snapshotter).setKey(key).build());
    } catch (StatusRuntimeException e) {
      // The lease still holds it; containerd collects it once the lease is gone.
      log.warn("removing extract snapshot failed key={} error={}", key, e.getStatus());
    }
  }

  private LayerResult result(int index, Descriptor layer, String chainId, Outcome outcome,
      long read, long start) {
    LayerResult r = new LayerResult(index, layer, chainId, outcome, read,
        Duration.ofMillis(clock.millis() - start));
    progress.layerDone(layer, r);
    return r;
  }

}
