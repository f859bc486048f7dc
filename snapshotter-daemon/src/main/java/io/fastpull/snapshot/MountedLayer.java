package io.fastpull.snapshot;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * A remote layer a {@link LayerMounter} has mounted.
 *
 * @param mountpoint where the layer's root now is; must be the mountpoint the mounter was given
 * @param labels extra labels to record on the committed snapshot (may be empty), e.g. the layer
 *     digest the mounter resolved
 */
public record MountedLayer(Path mountpoint, Map<String, String> labels) {
  public MountedLayer {
    Objects.requireNonNull(mountpoint, "mountpoint");
    labels = Map.copyOf(labels);
  }
}
