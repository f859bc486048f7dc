package io.fastpull.install;

import java.util.List;
import java.util.Objects;

/**
 * One change made to containerd's config text, kept in the manifest so that {@code uninstall} can
 * take exactly it back.
 *
 * @param type what was done
 * @param table the TOML table the change is in ({@code []} for the root table)
 * @param keys the keys the change sets
 * @param before the lines replaced (empty for {@link Type#ADD})
 * @param after the lines written, without terminators
 * @param addedFinalNewline whether the line before the insertion had no terminator and got one
 */
public record Edit(
    Type type,
    List<String> table,
    List<String> keys,
    List<String> before,
    List<String> after,
    boolean addedFinalNewline) {

  /** The kinds of text change. */
  public enum Type {
    /** Lines inserted (a key, or a whole table). */
    ADD,
    /** A key's line(s) replaced by ours. */
    REPLACE
  }

  public Edit {
    Objects.requireNonNull(type, "type");
    table = List.copyOf(table);
    keys = List.copyOf(keys);
    before = List.copyOf(before);
    after = List.copyOf(after);
    if (after.isEmpty()) {
      throw new IllegalArgumentException("an edit writes at least one line: " + keys);
    }
    if ((type == Type.REPLACE) == before.isEmpty()) {
      throw new IllegalArgumentException(type + " edit with before lines " + before);
    }
  }
}
