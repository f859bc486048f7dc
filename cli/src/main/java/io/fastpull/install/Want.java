package io.fastpull.install;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A key fastpull needs in containerd's config, with its value (a string or a boolean).
 *
 * @param table the TOML table, e.g. {@code [proxy_plugins, fastpull]}
 */
record Want(List<String> table, String key, Object value) {
  static final List<String> PROXY = List.of("proxy_plugins", "fastpull");
  static final List<String> CRI = List.of("plugins", "io.containerd.grpc.v1.cri", "containerd");

  Want {
    table = List.copyOf(table);
    Objects.requireNonNull(key, "key");
    if (!(value instanceof String) && !(value instanceof Boolean)) {
      throw new IllegalArgumentException("value must be a string or boolean: " + value);
    }
  }

  /** The keys for the proxy plugin at {@code socket}, plus the CRI settings when {@code cri}. */
  static List<Want> forSocket(String socket, boolean cri) {
    List<Want> w = new ArrayList<>(List.of(
        new Want(PROXY, "type", "snapshot"),
        new Want(PROXY, "address", socket)));
    if (cri) {
      w.add(new Want(CRI, "snapshotter", "fastpull"));
      w.add(new Want(CRI, "disable_snapshot_annotations", false));
    }
    return w;
  }

  List<String> fullKey() {
    List<String> k = new ArrayList<>(table);
    k.add(key);
    return k;
  }

  /** The value as TOML. */
  String tomlValue() {
    if (value instanceof Boolean) {
      return value.toString();
    }
    return "\"" + ((String) value).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  String line(String indent) {
    return indent + key + " = " + tomlValue();
  }
}
