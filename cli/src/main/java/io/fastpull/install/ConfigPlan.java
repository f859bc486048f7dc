package io.fastpull.install;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A planned change to containerd's config.
 *
 * @param before the text now, empty when the file does not exist
 * @param after the text to write
 * @param edits what changes, in the order made; empty when the config already holds our keys
 */
record ConfigPlan(Optional<String> before, String after, List<Edit> edits) {
  ConfigPlan {
    Objects.requireNonNull(before, "before");
    Objects.requireNonNull(after, "after");
    edits = List.copyOf(edits);
  }

  boolean changes() {
    return !edits.isEmpty();
  }

  /** A unified diff of the change, labelled with {@code name}. */
  String diff(String name) {
    return Diff.unified(before.isPresent() ? name : "/dev/null", name, before.orElse(""), after);
  }
}
