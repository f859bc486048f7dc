package io.fastpull.snapshot;

import io.fastpull.meta.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Computes mounts from metadata only, the way containerd's overlayfs snapshotter does. */
final class OverlayMounts {
  private final SnapshotDirs dirs;
  private final boolean indexOff;

  OverlayMounts(SnapshotDirs dirs) {
    this.dirs = dirs;
    // the kernel knows the option only when the overlay module exposes the parameter
    this.indexOff = Files.exists(Path.of("/sys/module/overlay/parameters/index"));
  }

  /**
   * @param parents ids of the parent chain, nearest first
   */
  List<Mount> of(Kind kind, long id, List<Long> parents) {
    if (parents.isEmpty()) {
      String mode = kind == Kind.VIEW ? "ro" : "rw";
      return List.of(new Mount("bind", dirs.fs(id).toString(), List.of(mode, "rbind")));
    }
    if (kind != Kind.ACTIVE && parents.size() == 1) {
      return List.of(
          new Mount("bind", dirs.fs(parents.get(0)).toString(), List.of("ro", "rbind")));
    }
    List<String> options = new ArrayList<>();
    if (indexOff) {
      options.add("index=off");
    }
    if (kind == Kind.ACTIVE) {
      options.add("workdir=" + dirs.work(id));
      options.add("upperdir=" + dirs.fs(id));
    }
    options.add(
        "lowerdir="
            + parents.stream().map(p -> dirs.fs(p).toString()).collect(Collectors.joining(":")));
    return List.of(new Mount("overlay", "overlay", options));
  }
}
