package io.fastpull.snapshot;

import io.fastpull.meta.MetaStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * containerd's snapshotter contract (see the package doc for key, name, parent and id).
 *
 * <p>Every method is one metadata transaction; errors containerd tells apart are {@link
 * SnapshotException} with a {@link SnapshotException.Code}; anything else is {@link IOException}.
 * Labels with empty values are dropped, as containerd's own store does. Thread-safe. After {@link
 * #close()} (idempotent) every call throws {@link IllegalStateException}.
 */
public interface Snapshotter extends AutoCloseable {
  /**
   * Creates an active snapshot {@code key} on top of committed {@code parent} (empty for none) and
   * returns the mounts for it. When the {@link RemoteLayerPolicy} picks the Prepare, a target is
   * identified as containerd's metadata store looks it up: a committed snapshot with that target
   * label over {@code parent}, whatever its name. If one exists, this throws ALREADY_EXISTS and
   * mounts nothing; else, if the {@link LayerMounter} mounts the layer, the layer is committed
   * (under the target name, or under {@code key} when that name is taken by a snapshot over
   * another parent), labelled {@link #LAZY_LABEL}, and this throws ALREADY_EXISTS. If mounting
   * fails, the snapshot stays an ordinary active one, labelled {@link #NOT_LAZY_LABEL} with why.
   *
   * @throws SnapshotException NOT_FOUND (parent), INVALID_ARGUMENT (parent not committed, empty
   *     key), ALREADY_EXISTS (key taken, target present, or remote layer committed for it)
   */
  List<Mount> prepare(String key, String parent, Map<String, String> labels)
      throws SnapshotException, IOException;

  /** Like {@link #prepare} but read-only and never remote. */
  List<Mount> view(String key, String parent, Map<String, String> labels)
      throws SnapshotException, IOException;

  /**
   * The mounts of an active or view snapshot.
   *
   * @throws SnapshotException NOT_FOUND, FAILED_PRECONDITION (committed)
   */
  List<Mount> mounts(String key) throws SnapshotException, IOException;

  /**
   * Commits active {@code key} as {@code name}, replacing its labels with {@code labels}; {@code
   * key} is gone afterwards.
   *
   * @throws SnapshotException NOT_FOUND (key), ALREADY_EXISTS (name), FAILED_PRECONDITION (key is a
   *     view)
   */
  void commit(String name, String key, Map<String, String> labels)
      throws SnapshotException, IOException;

  /**
   * Removes a snapshot of any kind and its directory.
   *
   * @throws SnapshotException NOT_FOUND, FAILED_PRECONDITION (has children)
   */
  void remove(String key) throws SnapshotException, IOException;

  /** @throws SnapshotException NOT_FOUND */
  Info stat(String key) throws SnapshotException, IOException;

  /**
   * Updates labels of {@code info.name()}: with no field paths all labels are replaced; {@code
   * labels} replaces all; {@code labels.KEY} sets or (when absent from {@code info}) deletes one.
   *
   * @throws SnapshotException NOT_FOUND, INVALID_ARGUMENT (other field paths)
   */
  Info update(Info info, List<String> fieldPaths) throws SnapshotException, IOException;

  /**
   * Passes every snapshot matching any of {@code filters} (all if none) to {@code sink}, outside
   * the metadata transaction.
   *
   * @throws SnapshotException INVALID_ARGUMENT (filter syntax this snapshotter does not support)
   */
  void list(List<String> filters, Consumer<Info> sink) throws SnapshotException, IOException;

  /**
   * Disk usage: scanned for active snapshots, recorded at commit for the others.
   *
   * @throws SnapshotException NOT_FOUND
   */
  Usage usage(String key) throws SnapshotException, IOException;

  /** Removes directories under {@code snapshots/} that no snapshot owns. */
  void cleanup() throws IOException;

  /**
   * The restart step: asks the mounter to remount every committed remote snapshot. A layer that
   * cannot be remounted is logged and reported in its labels under {@link #REMOUNT_ERROR_LABEL}.
   *
   * @return the number of layers that failed to remount
   */
  int recover() throws IOException;

  /** Remote layers currently mounted. */
  int mountedLayers();

  /** Unmounts remote layers; the metadata store stays open (the caller owns it). */
  @Override
  void close() throws IOException;

  /** Label reported (never stored) on a remote snapshot whose layer could not be remounted. */
  String REMOUNT_ERROR_LABEL = "fastpull.io/remount-error";

  /**
   * Label on every committed remote (lazy) snapshot: the key of the Prepare its layer was mounted
   * for. containerd's metadata store passes a client's key on as {@code NAMESPACE/N/KEY}, so a
   * client tells "mounted for my Prepare" from "already there" by that suffix; a snapshot without
   * this label holds an unpacked layer.
   */
  String LAZY_LABEL = "fastpull.io/lazy";

  /**
   * Label on an active snapshot whose Prepare picked a remote layer that could not be mounted:
   * why (e.g. the registry cannot be reached). The snapshot is an ordinary one, which the client
   * unpacks the layer into; the label tells it that and why.
   */
  String NOT_LAZY_LABEL = "fastpull.io/not-lazy";

  /**
   * An overlayfs snapshotter rooted at {@code root} (which holds {@code snapshots/}).
   *
   * @param store metadata; the caller closes it after this snapshotter
   */
  static Snapshotter overlay(
      Path root, MetaStore store, LayerMounter mounter, RemoteLayerPolicy policy, Clock clock)
      throws IOException {
    return OverlaySnapshotter.create(root, store, mounter, policy, clock);
  }
}
