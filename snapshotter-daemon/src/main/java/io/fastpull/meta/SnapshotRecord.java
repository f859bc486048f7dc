package io.fastpull.meta;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One stored snapshot.
 *
 * @param id short numeric id, never reused; names the directory {@code snapshots/<id>}
 * @param key the containerd key (active/view) or name (committed)
 * @param kind the snapshot kind
 * @param parentId id of the parent, 0 for none
 * @param parentKey name of the parent, empty for none
 * @param labels all labels as received
 * @param created creation time (microsecond precision)
 * @param updated last update time (microsecond precision)
 * @param size bytes used, recorded at commit
 * @param inodes inodes used, recorded at commit
 * @param remote whether the layer's content is a remote (lazy) mount rather than a local directory
 */
public record SnapshotRecord(
    long id,
    String key,
    Kind kind,
    long parentId,
    String parentKey,
    Map<String, String> labels,
    Instant created,
    Instant updated,
    long size,
    long inodes,
    boolean remote) {

  public SnapshotRecord {
    if (id <= 0) {
      throw new IllegalArgumentException("snapshot id must be positive: " + id);
    }
    if (key == null || key.isEmpty()) {
      throw new IllegalArgumentException("snapshot key must be non-empty: " + key);
    }
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(parentKey, "parentKey");
    if ((parentId == 0) != parentKey.isEmpty()) {
      throw new IllegalArgumentException(
          "parent id and key disagree: id=" + parentId + " key=" + parentKey);
    }
    labels = Map.copyOf(labels);
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(updated, "updated");
  }

  /** The parent's id, if any. */
  public Optional<Long> parent() {
    return parentId == 0 ? Optional.empty() : Optional.of(parentId);
  }
}
