package io.fastpull.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the values of config keys (sizes, durations, addresses) with messages naming the value. */
final class ConfigValues {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]i?B?|B)?", Pattern.CASE_INSENSITIVE);

  private ConfigValues() {}

  static void apply(DaemonConfig.Builder b, String key, Object value) {
    switch (key) {
      case "root":
        b.root(Path.of(string(value)));
        break;
      case "socket":
        b.socket(Path.of(string(value)));
        break;
      case "socket_group":
        String g = string(value);
        b.socketGroup(g.isEmpty() ? Optional.empty() : Optional.of(g));
        break;
      case "cache_size":
        b.cacheSizeBytes(value instanceof Number ? ((Number) value).longValue() : size(string(value)));
        break;
      case "mount_timeout":
        b.mountTimeout(duration(string(value)));
        break;
      case "shutdown_timeout":
        b.shutdownTimeout(duration(string(value)));
        break;
      case "log_level":
        b.logLevel(DaemonConfig.parseLogLevel(string(value)));
        break;
      case "metrics_address":
        b.metricsAddress(address(string(value)));
        break;
      case "lazy":
        b.lazy(bool(value));
        break;
      case "background_fetch":
        b.backgroundFetch(bool(value));
        break;
      case "hosts_dir":
        String h = string(value);
        b.hostsDir(h.isEmpty() ? Optional.empty() : Optional.of(Path.of(h)));
        break;
      case "docker_config":
        String d = string(value);
        b.dockerConfig(d.isEmpty() ? Optional.empty() : Optional.of(Path.of(d)));
        break;
      case "plain_http":
        if (!(value instanceof java.util.List<?> list)) {
          throw new IllegalArgumentException("expected a list of registries, got " + value);
        }
        java.util.List<String> hosts = new java.util.ArrayList<>();
        for (Object o : list) {
          hosts.add(string(o));
        }
        b.plainHttp(hosts);
        break;
      case "read_timeout":
        b.readTimeout(duration(string(value)));
        break;
      default:
        throw new IllegalArgumentException(
            "unknown key (known: root, socket, socket_group, cache_size, mount_timeout,"
                + " shutdown_timeout, log_level, metrics_address, lazy, hosts_dir, docker_config,"
                + " plain_http, read_timeout, background_fetch)");
    }
  }

  static long size(String s) {
    Matcher m = SIZE.matcher(s.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("bad size \"" + s + "\" (e.g. 1073741824, 512MiB, 10GiB)");
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
      throw new IllegalArgumentException("bad address \"" + s + "\" (use HOST:PORT or \"disabled\")");
    }
  }

  private static boolean bool(Object value) {
    if (!(value instanceof Boolean)) {
      throw new IllegalArgumentException("expected true or false, got " + value);
    }
    return (Boolean) value;
  }

  private static String string(Object value) {
    if (!(value instanceof String)) {
      throw new IllegalArgumentException("expected a string, got " + value);
    }
    return (String) value;
  }
}
