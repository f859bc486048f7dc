package io.fastpull.pull;

import io.fastpull.format.LazyLayer;
import io.fastpull.progress.Progress;
import io.fastpull.proto.containerd.diff.v1.ApplyRequest;
import io.fastpull.proto.containerd.diff.v1.ApplyResponse;
import io.fastpull.proto.containerd.snapshots.v1.CommitSnapshotRequest;
import io.fastpull.proto.containerd.snapshots.v1.Info;
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
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts one layer into containerd as a committed snapshot named by its chain id, as containerd's
 * unpacker does: Stat the chain id; Prepare an extract key with the snapshot labels (a remote
 * snapshotter answers ALREADY_EXISTS when it mounted the layer itself, or found it in place);
 * otherwise download the blob into the content store, Diff.Apply it onto the prepared mounts and
 * Commit. The extract key is removed when anything after Prepare fails.
 *
 * <p>The fastpull daemon's snapshot labels tell the outcome apart ({@link LayerResult.Outcome}):
 * a lazy snapshot names the Prepare it was mounted for, and a lazy layer it could not mount says
 * why, which is reported before the layer is downloaded: its original, or when the image does
 * not publish that, the tar rebuilt from the lazy blob ({@link LazyBlobExport}).
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
    Optional<Info> present = stat(chainId);
    if (present.isPresent()) {
      return result(index, layer, chainId, presentAs(present.get()), 0, start);
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
        // The target is there now: mounted for this Prepare, or found (another namespace's
        // copy, a concurrent pull). Its labels say which, and whether it is lazy.
        Outcome outcome = stat(chainId).map(i -> Labels.lazyFor(i.getLabelsMap(), key)
            ? Outcome.LAZY : presentAs(i)).orElse(Outcome.EXISTS);
        return result(index, layer, chainId, outcome, 0, start);
      }
      throw containerd.snapshotFailure("preparing snapshot for layer " + layer.digest(),
          snapshotter, e);
    }
    boolean committed = false;
    try {
      boolean lazy = Labels.lazyFooter(layer).isPresent();
      if (lazy) {
        progress.step(notLazy(layer, key));
      }
      long read = download(repo, layer, diffId, mounts, lazy);
      try {
        containerd.snapshots().commit(CommitSnapshotRequest.newBuilder()
            .setSnapshotter(snapshotter).setName(chainId).setKey(key).putAllLabels(labels)
            .build());
      } catch (StatusRuntimeException e) {
        if (!ContainerdConnection.is(e, Status.Code.ALREADY_EXISTS)) {
          throw containerd.snapshotFailure("committing snapshot " + chainId, snapshotter, e);
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

  /**
   * Downloads the layer's tar and applies it onto {@code mounts}: the layer itself; for a lazy
   * layer its original when the content store or the registry has it, else the tar rebuilt from
   * the lazy blob.
   *
   * @return bytes read from the registry
   */
  private long download(ImageReference repo, Descriptor layer, String diffId, List<Mount> mounts,
      boolean lazy) throws IOException {
    if (lazy && !layer.annotations().containsKey(LazyLayer.SOURCE_DIGEST)) {
      progress.step("layer " + layer.digest() + " names no original layer; unpacking the lazy "
          + "blob itself");
      return exportAndApply(repo, layer, mounts);
    }
    Descriptor blob = tarBlob(layer);
    if (lazy && content.info(blob.digest()).isEmpty()
        && !registry.blobExists(repo, blob.digest())) {
      progress.step("layer " + layer.digest() + ": its original layer " + blob.digest()
          + " is not in " + repo.registry() + "/" + repo.repository()
          + "; unpacking the lazy blob itself");
      return exportAndApply(repo, layer, mounts);
    }
    Map<String, String> blobLabels = new HashMap<>(Labels.source(repo));
    blobLabels.put(Labels.UNCOMPRESSED, diffId);
    long read = content.ensure(blob.digest(), blob.size(), blobLabels,
        () -> registry.openBlob(repo, blob.digest()),
        n -> progress.layerBytes(layer, n, blob.size()));
    apply(blob, mounts, diffId);
    return read;
  }

  /** Applies the tar rebuilt from lazy layer {@code layer}'s blob; returns bytes downloaded. */
  private long exportAndApply(ImageReference repo, Descriptor layer, List<Mount> mounts)
      throws IOException {
    try (LazyBlobExport export = LazyBlobExport.create()) {
      LazyBlobExport.Tar tar = export.export(registry, repo, layer,
          n -> progress.layerBytes(layer, n, layer.size()));
      Descriptor t = tar.tar();
      content.ensure(t.digest(), t.size(), Map.of(Labels.UNCOMPRESSED, t.digest().toString()),
          () -> Files.newInputStream(tar.file()), n -> {});
      // Same files as the original, other tar bytes: it unpacks to its own digest.
      apply(t, mounts, t.digest().toString());
      return tar.downloaded();
    }
  }

  /** What a snapshot already in place holds: a lazy mount or an unpacked layer. */
  private static Outcome presentAs(Info info) {
    return info.getLabelsMap().containsKey(Labels.LAZY) ? Outcome.EXISTS_LAZY : Outcome.EXISTS;
  }

  /**
   * Why the snapshotter prepared lazy layer {@code layer} as an ordinary snapshot: the reason the
   * fastpull daemon left on it, or that it declined.
   */
  private String notLazy(Descriptor layer, String key) throws PullException {
    String why = stat(key).map(i -> i.getLabelsMap().get(Labels.NOT_LAZY))
        .map(r -> "the fastpull daemon could not mount it: "
            + r.strip().replaceAll("\\.+$", ""))
        .orElse("snapshotter " + snapshotter + " declined it (another snapshotter, or a fastpull "
            + "daemon with lazy = false)");
    log.debug("lazy layer unpacked layer={} reason={}", layer.digest(), why);
    return "layer " + layer.digest() + " not mounted lazily: " + why + "; downloading it instead";
  }

  private Optional<Info> stat(String key) throws PullException {
    try {
      return Optional.of(containerd.snapshots().stat(StatSnapshotRequest.newBuilder()
          .setSnapshotter(snapshotter).setKey(key).build()).getInfo());
    } catch (StatusRuntimeException e) {
      if (ContainerdConnection.is(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw containerd.snapshotFailure("stat of snapshot " + key, snapshotter, e);
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
