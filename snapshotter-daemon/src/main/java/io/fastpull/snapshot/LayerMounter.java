package io.fastpull.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The only thing that mounts remote (lazy) layers; the snapshotter decides when, this decides how.
 *
 * <p>Call order: {@link #mount} during Prepare of a layer the {@link RemoteLayerPolicy} picked,
 * and again on daemon restart for every committed remote snapshot; {@link #check} on restart
 * before remounting; {@link #unmount} on Remove, Cleanup and daemon shutdown. Implementations must
 * be thread-safe: different mountpoints are handled concurrently.
 */
public interface LayerMounter {
  /**
   * Mounts the layer that {@code labels} describe at {@code mountpoint} (an existing empty
   * directory), read-only.
   *
   * @param snapshotKey the key of the snapshot being prepared (or the name being remounted); for
   *     logs
   * @param labels all labels of the snapshot, including {@code containerd.io/snapshot.ref} and the
   *     CRI layer labels when containerd sent them
   * @return the mounted layer, or empty to decline (the layer is then unpacked the ordinary way)
   * @throws IOException if mounting was attempted and failed; treated like declining on Prepare
   */
  Optional<MountedLayer> mount(String snapshotKey, Map<String, String> labels, Path mountpoint)
      throws IOException;

  /** Whether a layer mounted at {@code mountpoint} is present and serving. */
  boolean check(Path mountpoint);

  /**
   * Unmounts whatever this mounter mounted at {@code mountpoint}. Idempotent: nothing mounted
   * there is not an error.
   */
  void unmount(Path mountpoint) throws IOException;

  /** A mounter that declines every layer: all images are unpacked the ordinary way. */
  static LayerMounter none() {
    return DecliningLayerMounter.INSTANCE;
  }
}
