package io.fastpull.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fastpull.registry.RegistryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Credentials from Docker's {@code config.json}. Lookup order for a registry: its {@code credHelpers} entry,
 * then {@code credsStore}, then {@code auths} (base64 {@code auth} or {@code username}/{@code password}).
 * Docker Hub ({@code docker.io}) is also found under {@code https://index.docker.io/v1/},
 * {@code index.docker.io} and {@code registry-1.docker.io}; other registries also under
 * {@code https://HOST} and {@code http://HOST}.
 *
 * <p>The file is read on every lookup so a {@code docker login} takes effect without a restart; helpers
 * ({@code docker-credential-NAME}) are searched in the configured directories, not via a shell. Identity
 * tokens ({@code identitytoken}) are not supported. Thread-safe.
 */
public final class DockerConfigStore implements CredentialStore {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String HUB_KEY = "https://index.docker.io/v1/";

  private final Path configFile;
  private final CredentialHelper helpers;

  private DockerConfigStore(Path configFile, List<Path> helperDirs) {
    this.configFile = configFile;
    this.helpers = new CredentialHelper(helperDirs);
  }

  /**
   * The config the docker CLI would use: {@code $DOCKER_CONFIG/config.json}, else
   * {@code ~/.docker/config.json}; helpers searched on {@code $PATH}.
   */
  public static DockerConfigStore fromEnvironment() {
    String dir = System.getenv("DOCKER_CONFIG");
    Path file =
        dir != null && !dir.isEmpty()
            ? Path.of(dir, "config.json")
            : Path.of(System.getProperty("user.home"), ".docker", "config.json");
    return of(file, pathDirs());
  }

  /** The config at {@code configFile} (a missing file means no credentials), helpers searched in {@code helperDirs}. */
  public static DockerConfigStore of(Path configFile, List<Path> helperDirs) {
    return new DockerConfigStore(configFile, List.copyOf(helperDirs));
  }

  /** The directories of {@code $PATH}. */
  public static List<Path> pathDirs() {
    List<Path> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String p : path.split(":")) {
        if (!p.isEmpty()) dirs.add(Path.of(p));
      }
    }
    return dirs;
  }

  @Override
  public Optional<Credentials> lookup(String registry) throws IOException {
    JsonNode root = readConfig();
    if (root == null) {
      return Optional.empty();
    }
    List<String> keys = keysFor(registry);
    JsonNode helpersNode = root.path("credHelpers");
    for (String key : keys) {
      if (helpersNode.hasNonNull(key)) {
        return helpers.get(helpersNode.get(key).asText(), serverUrl(registry));
      }
    }
    if (root.hasNonNull("credsStore")) {
      Optional<Credentials> fromStore = helpers.get(root.get("credsStore").asText(), serverUrl(registry));
      if (fromStore.isPresent()) {
        return fromStore;
      }
    }
    JsonNode auths = root.path("auths");
    for (String key : keys) {
      JsonNode entry = auths.get(key);
      if (entry != null) {
        Optional<Credentials> c = fromAuthEntry(entry, key);
        if (c.isPresent()) return c;
      }
    }
    return Optional.empty();
  }

  private JsonNode readConfig() throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(configFile);
    } catch (NoSuchFileException e) {
      return null;
    }
    try {
      return MAPPER.readTree(bytes);
    } catch (IOException e) {
      // Jackson's message may quote file content (secrets): report only the location.
      throw RegistryException.builder(RegistryException.Kind.CREDENTIALS, "cannot parse docker config " + configFile)
          .detail("not valid JSON")
          .build();
    }
  }

  private Optional<Credentials> fromAuthEntry(JsonNode entry, String key) throws RegistryException {
    String auth = entry.path("auth").asText("");
    if (!auth.isEmpty()) {
      String decoded;
      try {
        decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw bad(key, "'auth' is not base64");
      }
      int colon = decoded.indexOf(':');
      if (colon <= 0 || colon == decoded.length() - 1) {
        throw bad(key, "'auth' does not decode to user:password");
      }
      return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
    }
    String user = entry.path("username").asText("");
    String pass = entry.path("password").asText("");
    if (!user.isEmpty() && !pass.isEmpty()) {
      return Optional.of(new Credentials(user, pass));
    }
    return Optional.empty();
  }

  private RegistryException bad(String key, String why) {
    return RegistryException.builder(RegistryException.Kind.CREDENTIALS, "bad auths entry '" + key + "' in " + configFile)
        .detail(why)
        .build();
  }

  /** The server URL docker passes to credential helpers for {@code registry}. */
  static String serverUrl(String registry) {
    return isHub(registry) ? HUB_KEY : registry;
  }

  static List<String> keysFor(String registry) {
    if (isHub(registry)) {
      return List.of(HUB_KEY, "index.docker.io", "docker.io", "registry-1.docker.io", "https://index.docker.io/v1");
    }
    return List.of(registry, "https://" + registry, "http://" + registry, "https://" + registry + "/v1/", "https://" + registry + "/v2/");
  }

  private static boolean isHub(String registry) {
    return registry.equals("docker.io") || registry.equals("index.docker.io") || registry.equals("registry-1.docker.io");
  }

  @Override
  public String toString() {
    return "DockerConfigStore[" + configFile + "]";
  }
}
