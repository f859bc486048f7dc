package io.fastpull.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads and writes the values of config keys: from TOML values, from command-line text, and back
 * to text (for {@code --help} defaults and {@code --print-config}). Parse errors are
 * {@link IllegalArgumentException}s whose message shows the bad value and the accepted forms.
 */
final class ConfigValues {
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*([KMGT]i?B?|B)?", Pattern.CASE_INSENSITIVE);

  private ConfigValues() {}

  /** Sets {@code key} from a value read from TOML (a string, number, boolean or list). */
  static void apply(DaemonConfig.Builder b, ConfigKey key, Object value) {
    if (key.isBoolean()) {
      if (!(value instanceof Boolean)) {
        throw new IllegalArgumentException("expected true or false, got " + show(value));
      }
      setBoolean(b, key, (Boolean) value);
    } else if (key.isList()) {
      if (!(value instanceof List<?> list)) {
        throw new IllegalArgumentException(
            "expected a list of registries such as [\"127.0.0.1:5000\"], got " + show(value));
      }
      List<String> items = new ArrayList<>();
      for (Object o : list) {
        items.add(string(o));
      }
      b.plainHttp(items);
    } else if (key == ConfigKey.CACHE_SIZE && value instanceof Number n) {
      b.cacheSizeBytes(n.longValue());
    } else {
      applyText(b, key, string(value));
    }
  }

  /** Sets {@code key} from command-line text; lists are comma-separated. */
  static void applyText(DaemonConfig.Builder b, ConfigKey key, String text) {
    switch (key) {
      case ROOT -> b.root(path(text));
      case SOCKET -> b.socket(path(text));
      case SOCKET_GROUP -> b.socketGroup(optional(text));
      case CACHE_SIZE -> b.cacheSizeBytes(size(text));
      case READ_TIMEOUT -> b.readTimeout(duration(text));
      case MOUNT_TIMEOUT -> b.mountTimeout(duration(text));
      case SHUTDOWN_TIMEOUT -> b.shutdownTimeout(duration(text));
      case LAZY, BACKGROUND_FETCH -> setBoolean(b, key, bool(text));
      case HOSTS_DIR -> b.hostsDir(optional(text).map(ConfigValues::path));
      case DOCKER_CONFIG -> b.dockerConfig(optional(text).map(ConfigValues::path));
      case PLAIN_HTTP -> b.plainHttp(Arrays.stream(text.split(",")).map(String::trim)
          .filter(s -> !s.isEmpty()).toList());
      case METRICS_ADDRESS -> b.metricsAddress(address(text));
      case LOG_LEVEL -> b.logLevel(choice(LogLevel.class, "log level", text));
      case LOG_FORMAT -> b.logFormat(choice(LogFormat.class, "log format", text));
      default -> throw new IllegalStateException("no parser for " + key);
    }
  }

  /** The value of {@code key} in {@code c} as command-line text ({@code ""} for none). */
  static String text(DaemonConfig c, ConfigKey key) {
    return switch (key) {
      case ROOT -> c.root().toString();
      case SOCKET -> c.socket().toString();
      case SOCKET_GROUP -> c.socketGroup().orElse("");
      case CACHE_SIZE -> sizeText(c.cacheSizeBytes());
      case READ_TIMEOUT -> durationText(c.readTimeout());
      case MOUNT_TIMEOUT -> durationText(c.mountTimeout());
      case SHUTDOWN_TIMEOUT -> durationText(c.shutdownTimeout());
      case LAZY -> Boolean.toString(c.lazy());
      case BACKGROUND_FETCH -> Boolean.toString(c.backgroundFetch());
      case HOSTS_DIR -> c.hostsDir().map(Path::toString).orElse("");
      case DOCKER_CONFIG -> c.dockerConfig().map(Path::toString).orElse("");
      case PLAIN_HTTP -> String.join(",", c.plainHttp());
      case METRICS_ADDRESS -> c.metricsAddress()
          .map(a -> hostText(a) + ":" + a.getPort()).orElse("disabled");
      case LOG_LEVEL -> c.logLevel().name().toLowerCase(Locale.ROOT);
      case LOG_FORMAT -> c.logFormat().name().toLowerCase(Locale.ROOT);
    };
  }

  /** The value of {@code key} in {@code c} as a TOML value that {@link #apply} reads back. */
  static String toml(DaemonConfig c, ConfigKey key) {
    if (key.isBoolean()) {
      return text(c, key);
    }
    if (key.isList()) {
      return c.plainHttp().stream().map(ConfigValues::quote)
          .collect(Collectors.joining(", ", "[", "]"));
    }
    return quote(text(c, key));
  }

  static long size(String s) {
    Matcher m = SIZE.matcher(s.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "bad size \"" + s + "\" (use bytes or a unit: 1073741824, 512MiB, 10GiB)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
    int shift = "KMGT".indexOf(unit.charAt(0)) + 1;
    return unit.equals("B") ? n : Math.multiplyExact(n, 1L << (10 * shift));
  }

  /** Config durations share the command line's grammar ({@link DurationText}). */
  static Duration duration(String s) {
    return DurationText.parse(s);
  }

  static Optional<InetSocketAddress> address(String s) {
    if (s.isEmpty() || s.equals("disabled")) {
      return Optional.empty();
    }
    int colon = s.lastIndexOf(':');
    try {
      if (colon <= 0) {
        throw new NumberFormatException();
      }
      String host = s.substring(0, colon).replace("[", "").replace("]", "");
      int port = Integer.parseInt(s.substring(colon + 1));
      return Optional.of(new InetSocketAddress(host, port));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "bad address \"" + s + "\" (use HOST:PORT, e.g. 127.0.0.1:9102, or \"disabled\")");
    }
  }

  private static <E extends Enum<E>> E choice(Class<E> type, String what, String s) {
    String names = Arrays.stream(type.getEnumConstants())
        .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
    try {
      return Enum.valueOf(type, s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown " + what + " \"" + s + "\" (use one of: " + names + ")");
    }
  }

  private static void setBoolean(DaemonConfig.Builder b, ConfigKey key, boolean value) {
    if (key == ConfigKey.LAZY) {
      b.lazy(value);
    } else {
      b.backgroundFetch(value);
    }
  }

  private static boolean bool(String s) {
    return switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("expected true or false, got \"" + s + "\"");
    };
  }

  private static Path path(String s) {
    try {
      return Path.of(s);
    } catch (java.nio.file.InvalidPathException e) {
      throw new IllegalArgumentException("bad path \"" + s + "\": " + e.getReason());
    }
  }

  private static Optional<String> optional(String s) {
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  private static String sizeText(long bytes) {
    String[] units = {"TiB", "GiB", "MiB", "KiB"};
    for (int i = 0; i < units.length; i++) {
      long unit = 1L << (10 * (units.length - i));
      if (bytes != 0 && bytes % unit == 0) {
        return bytes / unit + units[i];
      }
    }
    return Long.toString(bytes);
  }

  static String durationText(Duration d) {
    long ms = d.toMillis();
    if (ms != 0 && ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms != 0 && ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
  }

  private static String hostText(InetSocketAddress a) {
    String host = a.getHostString();
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String show(Object value) {
    return value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
  }

  private static String string(Object value) {
    if (!(value instanceof String)) {
      throw new IllegalArgumentException("expected a string, got " + show(value));
    }
    return (String) value;
  }
}
