package io.fastpull.fuse;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A layer mounted by {@link LayerMounter}. Closing unmounts it (lazily if it is busy, e.g. still a
 * lowerdir of an overlay) and waits for the FUSE loop to end; it does not close the chunk reader,
 * which the caller owns. Close is idempotent; the JVM's shutdown also unmounts open layers.
 */
public interface MountedLayer extends Closeable {
  Path mountpoint();

  /** The layer's id (digest) as given by its chunk reader. */
  String layerId();

  /** Unmounts; idempotent. */
  @Override
  void close() throws IOException;
}
