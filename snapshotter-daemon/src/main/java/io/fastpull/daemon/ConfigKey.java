package io.fastpull.daemon;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The daemon's settings, one constant per key of the TOML file. Each key has a command-line flag
 * of the same name ({@code cache_size} is {@code --cache-size}); a flag overrides the file, which
 * overrides the default. The command line, {@code --help}, {@code --print-config} and the
 * README's table are all made from this list, so a new key gets its flag by being added here.
 */
public enum ConfigKey {
  ROOT("root", "DIR", "state: metadata (SQLite), snapshots, chunk cache, layer metadata"),
  SOCKET("socket", "PATH", "snapshotter socket (0600, or 0660 with socket_group)"),
  SOCKET_GROUP("socket_group", "GROUP", "group allowed on the socket; empty: owner only"),
  CACHE_SIZE("cache_size", "SIZE", "chunk cache cap (bytes, or KiB, MiB, GiB, TiB)"),
  READ_TIMEOUT("read_timeout", "DURATION", "how long a file read waits for its chunks before EIO"),
  MOUNT_TIMEOUT("mount_timeout", "DURATION", "how long mounting a lazy layer may take"),
  SHUTDOWN_TIMEOUT("shutdown_timeout", "DURATION", "grace for in-flight calls on shutdown"),
  LAZY("lazy", "BOOL", "mount lazy layers (false: containerd unpacks every layer)"),
  BACKGROUND_FETCH("background_fetch", "BOOL",
      "fetch whole lazy layers (that fit in half the cache) after startup"),
  HOSTS_DIR("hosts_dir", "DIR", "containerd-style hosts.toml: mirrors, CAs, plain HTTP; empty: none"),
  DOCKER_CONFIG("docker_config", "FILE",
      "registry credentials (auths, credHelpers, credsStore); empty: anonymous"),
  PLAIN_HTTP("plain_http", "HOST[:PORT]", "registries reached over plain HTTP"),
  METRICS_ADDRESS("metrics_address", "HOST:PORT", "Prometheus text metrics, or disabled"),
  LOG_LEVEL("log_level", "LEVEL", "trace, debug, info, warn or error"),
  LOG_FORMAT("log_format", "FORMAT", "text (timestamped lines) or json (one object a line)");

  private final String key;
  private final String label;
  private final String meaning;

  ConfigKey(String key, String label, String meaning) {
    this.key = key;
    this.label = label;
    this.meaning = meaning;
  }

  /** The name in the TOML file, e.g. {@code cache_size}. */
  public String key() {
    return key;
  }

  /** The command-line flag, e.g. {@code --cache-size}. */
  public String flag() {
    return "--" + key.replace('_', '-');
  }

  /** What the value looks like, e.g. {@code SIZE}, for usage lines. */
  public String label() {
    return label;
  }

  /** One line on what the key does. */
  public String meaning() {
    return meaning;
  }

  /** Whether the value is true or false (a flag given alone means true). */
  public boolean isBoolean() {
    return label.equals("BOOL");
  }

  /** Whether the value is a list (comma-separated on the command line). */
  public boolean isList() {
    return this == PLAIN_HTTP;
  }

  /** The key of this TOML name, if there is one. */
  public static Optional<ConfigKey> of(String key) {
    return Arrays.stream(values()).filter(k -> k.key.equals(key)).findFirst();
  }

  /** Every key, comma-separated, for error messages. */
  static String names() {
    return Arrays.stream(values()).map(ConfigKey::key).collect(Collectors.joining(", "));
  }

  /** The known key closest to a misspelt one (at most two edits away), for "did you mean". */
  static Optional<ConfigKey> closest(String unknown) {
    String u = unknown.toLowerCase(Locale.ROOT).replace('-', '_');
    ConfigKey best = null;
    int bestDistance = 3;
    for (ConfigKey k : values()) {
      int d = distance(u, k.key);
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return Optional.ofNullable(best);
  }

  /** Levenshtein distance; keys are short, so the quadratic table is fine. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
