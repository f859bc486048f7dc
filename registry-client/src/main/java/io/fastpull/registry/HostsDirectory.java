package io.fastpull.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.fastpull.registry.Endpoint.Capability;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads containerd's registry host configuration: {@code DIR/HOST[:PORT]/hosts.toml} (falling back to
 * {@code DIR/_default/hosts.toml}). Understood keys: top-level {@code server}, {@code capabilities},
 * {@code skip_verify}, {@code ca}, {@code header}; and the same keys plus {@code override_path} in
 * {@code [host."URL"]} tables, which are mirrors tried in file order before the server. Relative
 * {@code ca} paths are relative to the hosts.toml's directory. Client certificates ({@code client}) are
 * not supported. Without a hosts.toml the origin is {@code https://HOST/v2} ({@code http} for hosts given
 * as plain-HTTP to the builder). Stateless and thread-safe; files are read on each call.
 */
final class HostsDirectory {
  private static final TomlMapper TOML = new TomlMapper();

  private final Path dir;
  private final PlainHttpHosts plainHttp;

  /**
   * @param dir the certs.d-style directory, or null for none
   * @param plainHttp registries whose origin is {@code http://} when no hosts.toml names a server
   */
  HostsDirectory(Path dir, PlainHttpHosts plainHttp) {
    this.dir = dir;
    this.plainHttp = plainHttp;
  }

  /** The endpoints for {@code ref}'s registry, mirrors first, origin last. */
  List<Endpoint> endpoints(ImageReference ref) throws RegistryException {
    String registry = ref.registry();
    String scheme = plainHttp.matches(registry) ? "http" : "https";
    URI defaultServer = URI.create(scheme + "://" + ref.defaultEndpointHost());
    Path file = find(registry);
    if (file == null) {
      return List.of(origin(defaultServer, EnumSet.allOf(Capability.class), Map.of(), TlsSettings.DEFAULT, registry));
    }
    JsonNode root;
    try {
      root = TOML.readTree(file.toFile());
    } catch (IOException e) {
      throw bad(file, "not valid TOML: " + e.getMessage());
    }
    Path base = file.getParent();
    List<Endpoint> out = new ArrayList<>();
    JsonNode hosts = root.path("host");
    for (Map.Entry<String, JsonNode> e : hosts.properties()) {
      URI url = parseUrl(file, e.getKey());
      JsonNode h = e.getValue();
      URI v2 = h.path("override_path").asBoolean(false) ? url : withV2(url);
      out.add(
          new Endpoint(
              v2, capabilities(file, h), headers(file, h), tls(file, base, h), url.getRawAuthority(), true));
    }
    URI server = root.hasNonNull("server") ? parseUrl(file, root.get("server").asText()) : defaultServer;
    out.add(origin(server, capabilities(file, root), headers(file, root), tls(file, base, root), registry));
    return List.copyOf(out);
  }

  private Path find(String registry) {
    if (dir == null) {
      return null;
    }
    for (String name : List.of(registry, "_default")) {
      Path f = dir.resolve(name).resolve("hosts.toml");
      if (Files.isRegularFile(f)) {
        return f;
      }
    }
    return null;
  }

  private static Endpoint origin(
      URI server, Set<Capability> caps, Map<String, List<String>> headers, TlsSettings tls, String registry) {
    return new Endpoint(withV2(server), caps, headers, tls, registry, false);
  }

  private static URI withV2(URI url) {
    String s = url.toString();
    while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
    return URI.create(s.endsWith("/v2") ? s : s + "/v2");
  }

  private static URI parseUrl(Path file, String text) throws RegistryException {
    try {
      URI u = new URI(text.contains("://") ? text : "https://" + text);
      if (!(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
        throw bad(file, "'" + text + "' is not an http(s) URL");
      }
      return u;
    } catch (java.net.URISyntaxException e) {
      throw bad(file, "'" + text + "' is not a URL");
    }
  }

  private static Set<Capability> capabilities(Path file, JsonNode node) throws RegistryException {
    JsonNode caps = node.get("capabilities");
    if (caps == null) {
      return EnumSet.allOf(Capability.class);
    }
    EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
    for (JsonNode c : caps) {
      try {
        set.add(Capability.valueOf(c.asText().toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw bad(file, "unknown capability '" + c.asText() + "' (want pull, resolve, push)");
      }
    }
    return set;
  }

  private static TlsSettings tls(Path file, Path base, JsonNode node) throws RegistryException {
    boolean skip = node.path("skip_verify").asBoolean(false);
    List<Path> cas = new ArrayList<>();
    JsonNode ca = node.get("ca");
    if (ca != null) {
      for (JsonNode c : ca.isArray() ? ca : List.of(ca)) {
        Path p = base.resolve(c.asText());
        if (!Files.isReadable(p)) {
          throw bad(file, "ca file " + p + " is not readable");
        }
        cas.add(p);
      }
    }
    return new TlsSettings(skip, cas);
  }

  private static Map<String, List<String>> headers(Path file, JsonNode node) throws RegistryException {
    JsonNode h = node.get("header");
    if (h == null) {
      return Map.of();
    }
    if (!h.isObject()) {
      throw bad(file, "'header' must be a table");
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : h.properties()) {
      List<String> values = new ArrayList<>();
      for (JsonNode v : e.getValue().isArray() ? e.getValue() : List.of(e.getValue())) {
        values.add(v.asText());
      }
      out.put(e.getKey(), List.copyOf(values));
    }
    return out;
  }

  private static RegistryException bad(Path file, String why) {
    return RegistryException.builder(RegistryException.Kind.CONFIG, "bad registry host config " + file)
        .detail(why)
        .build();
  }
}
