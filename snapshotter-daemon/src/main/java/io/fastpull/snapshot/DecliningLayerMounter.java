package io.fastpull.snapshot;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Declines every layer; used when no remote layer support is configured. */
enum DecliningLayerMounter implements LayerMounter {
  INSTANCE;

  @Override
  public Optional<MountedLayer> mount(String key, Map<String, String> labels, Path mountpoint) {
    return Optional.empty();
  }

  @Override
  public boolean check(Path mountpoint) {
    return false;
  }

  @Override
  public void unmount(Path mountpoint) {}
}
