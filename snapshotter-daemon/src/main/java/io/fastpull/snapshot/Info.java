package io.fastpull.snapshot;

import io.fastpull.meta.Kind;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What containerd sees of a snapshot.
 *
 * @param name the key (active/view) or name (committed)
 * @param parent the parent's name, empty for none
 */
public record Info(
    String name,
    String parent,
    Kind kind,
    Instant created,
    Instant updated,
    Map<String, String> labels) {
  public Info {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(parent, "parent");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(updated, "updated");
    labels = Map.copyOf(labels);
  }
}
