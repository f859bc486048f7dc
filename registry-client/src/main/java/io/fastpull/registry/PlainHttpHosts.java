package io.fastpull.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registries to reach over plain HTTP, as users list them ({@code --plain-http}, the daemon's {@code
 * plain_http}): each entry is {@code HOST} (every port of that host) or {@code HOST:PORT} (that port
 * only); {@code http://HOST[:PORT]} is accepted as the same, since it names plain HTTP unambiguously.
 * HOST is a name, an IPv4 address or a bracketed IPv6 address ({@code [::1]:5000}). Anything else (a
 * path, another scheme, a bad port) is refused when parsed, so a typo never silently matches nothing.
 *
 * <p>Matching is against the registry as named in image references ({@code 127.0.0.1:5000}, {@code
 * registry.local}); host names compare case-insensitively. Immutable and thread-safe.
 */
public final class PlainHttpHosts {
  /** The accepted forms, for messages. */
  public static final String FORMS = "HOST or HOST:PORT (e.g. 127.0.0.1:5000, or registry.local for all its ports)";

  private static final PlainHttpHosts NONE = new PlainHttpHosts(List.of());
  private static final Pattern ENTRY =
      Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?)(?::(\\d{1,5}))?");

  /** One entry; {@code port} is -1 for every port. */
  private record Entry(String host, int port) {
    boolean matches(Entry registry) {
      return host.equals(registry.host) && (port == -1 || port == registry.port);
    }

    @Override
    public String toString() {
      return port == -1 ? host : host + ":" + port;
    }
  }

  private final List<Entry> entries;

  private PlainHttpHosts(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  /** No registry over plain HTTP. */
  public static PlainHttpHosts none() {
    return NONE;
  }

  /**
   * Parses the entries.
   *
   * @throws IllegalArgumentException naming the first bad entry and the accepted forms
   */
  public static PlainHttpHosts parse(Collection<String> values) {
    List<Entry> out = new ArrayList<>();
    for (String v : values) {
      out.add(entry(v));
    }
    return out.isEmpty() ? NONE : new PlainHttpHosts(out);
  }

  /** Whether {@code registry} (host[:port] as in image references) is reached over plain HTTP. */
  public boolean matches(String registry) {
    Entry r;
    try {
      r = parseHostPort(registry);
    } catch (IllegalArgumentException notAHost) {
      return false;
    }
    for (Entry e : entries) {
      if (e.matches(r)) return true;
    }
    return false;
  }

  /** Whether there are no entries. */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  @Override
  public String toString() {
    return entries.toString();
  }

  private static Entry entry(String value) {
    if (value == null) throw bad(null, "it is missing");
    String v = value.strip();
    String lower = v.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://")) {
      v = v.substring("http://".length());
      if (v.endsWith("/")) v = v.substring(0, v.length() - 1);
    } else if (lower.contains("://")) {
      throw bad(value, "only http:// names plain HTTP");
    }
    if (v.isEmpty()) throw bad(value, "it names no host");
    if (v.contains("/")) throw bad(value, "a registry is named without a path");
    try {
      return parseHostPort(v);
    } catch (IllegalArgumentException e) {
      throw bad(value, e.getMessage());
    }
  }

  private static Entry parseHostPort(String s) {
    Matcher m = ENTRY.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException(s.indexOf(':') != s.lastIndexOf(':') && !s.startsWith("[")
          ? "write an IPv6 address in brackets, as [::1]:5000" : "it is not a host name or address with an optional port");
    }
    int port = -1;
    if (m.group(3) != null) {
      port = Integer.parseInt(m.group(3));
      if (port < 1 || port > 65535) throw new IllegalArgumentException("port " + port + " is out of range");
    }
    return new Entry(m.group(1).toLowerCase(Locale.ROOT), port);
  }

  private static IllegalArgumentException bad(String value, String why) {
    return new IllegalArgumentException(
        "bad plain-HTTP registry \"" + value + "\": " + why + "; use " + FORMS);
  }
}
