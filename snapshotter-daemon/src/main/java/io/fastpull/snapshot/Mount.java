package io.fastpull.snapshot;

import java.util.List;
import java.util.Objects;

/** One mount(2) call as containerd performs it: type, source and fstab-style options. */
public record Mount(String type, String source, List<String> options) {
  public Mount {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(source, "source");
    options = List.copyOf(options);
  }
}
