package io.fastpull.daemon;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.fastpull.registry.PlainHttpHosts;
import io.fastpull.registry.RegistryClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.io.FileNotFoundException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Objects;
import java.util.Optional;

/**
 * Daemon settings. Loaded from a flat TOML file by {@link #load(Path)}, every key optional
 * (the keys are {@link ConfigKey}'s), for example:
 *
 * <pre>
 * root = "/var/lib/fastpull"             # metadata.db and snapshots/
 * socket = "/run/fastpull/fastpull.sock" # containerd's proxy_plugins address
 * cache_size = "10GiB"                   # chunk cache budget (bytes or K/M/G/TiB suffix)
 * metrics_address = "127.0.0.1:9102"     # or "disabled"
 * log_format = "json"                    # or "text"
 * </pre>
 *
 * <p>Precedence: a command-line flag ({@link Builder#set}) over the file over the defaults.
 *
 * @param metricsAddress where to serve Prometheus metrics, empty when disabled
 */
public record DaemonConfig(
    Path root,
    Path socket,
    Optional<String> socketGroup,
    long cacheSizeBytes,
    Duration mountTimeout,
    Duration shutdownTimeout,
    LogLevel logLevel,
    LogFormat logFormat,
    Optional<InetSocketAddress> metricsAddress,
    boolean lazy,
    Optional<Path> hostsDir,
    Optional<Path> dockerConfig,
    List<String> plainHttp,
    Duration readTimeout,
    boolean backgroundFetch) {

  public static final Path DEFAULT_ROOT = Path.of("/var/lib/fastpull");
  public static final Path DEFAULT_SOCKET = Path.of("/run/fastpull/fastpull.sock");

  public DaemonConfig {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(socket, "socket");
    Objects.requireNonNull(socketGroup, "socketGroup");
    Objects.requireNonNull(logLevel, "logLevel");
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(metricsAddress, "metricsAddress");
    Objects.requireNonNull(hostsDir, "hostsDir");
    Objects.requireNonNull(dockerConfig, "dockerConfig");
    plainHttp = List.copyOf(plainHttp);
    PlainHttpHosts.parse(plainHttp);
    if (readTimeout.isNegative() || readTimeout.isZero()) {
      throw new IllegalArgumentException(
          "read_timeout must be more than 0, got " + ConfigValues.durationText(readTimeout));
    }
    if (cacheSizeBytes < 0) {
      throw new IllegalArgumentException("cache_size must be 0 or more, got " + cacheSizeBytes);
    }
    if (mountTimeout.isNegative() || mountTimeout.isZero()) {
      throw new IllegalArgumentException(
          "mount_timeout must be more than 0, got " + ConfigValues.durationText(mountTimeout));
    }
    if (shutdownTimeout.isNegative()) {
      throw new IllegalArgumentException("shutdown_timeout must be 0 or more");
    }
    // the kernel's sun_path holds 107 bytes plus the terminating NUL
    int length = socket.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length;
    if (length > 107) {
      throw new IllegalArgumentException("socket path " + socket + " is " + length
          + " bytes, longer than the 107 a Unix socket path may have: choose a shorter path");
    }
  }

  /** The defaults, as a builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** This configuration as a builder, for overrides (e.g. from the command line). */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.root = root;
    b.socket = socket;
    b.socketGroup = socketGroup;
    b.cacheSizeBytes = cacheSizeBytes;
    b.mountTimeout = mountTimeout;
    b.shutdownTimeout = shutdownTimeout;
    b.logLevel = logLevel;
    b.logFormat = logFormat;
    b.metricsAddress = metricsAddress;
    b.lazy = lazy;
    b.hostsDir = hostsDir;
    b.dockerConfig = dockerConfig;
    b.plainHttp = plainHttp;
    b.readTimeout = readTimeout;
    b.backgroundFetch = backgroundFetch;
    return b;
  }

  /**
   * Reads a TOML file; keys absent from it keep their defaults.
   *
   * @throws IOException if the file cannot be read, is not TOML, or has an unknown key or bad value
   *     (the message names the file and key, and says what would be accepted)
   */
  public static DaemonConfig load(Path file) throws IOException {
    return load(file, builder()).build(file);
  }

  /** Applies the keys of a TOML file to {@code b}, for flags to override afterwards. */
  public static Builder load(Path file, Builder b) throws IOException {
    if (!Files.exists(file)) {
      throw new IOException("config file " + file + " does not exist: give an existing file with"
          + " --config, or leave --config out to run with the defaults");
    }
    Map<String, Object> toml;
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> read = new TomlMapper().readValue(file.toFile(), Map.class);
      toml = read == null ? new TreeMap<>() : new TreeMap<>(read);
    } catch (JacksonException e) {
      throw new IOException("config " + file + " is not valid TOML: " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ")", e);
    } catch (FileNotFoundException | AccessDeniedException e) {
      throw new IOException("cannot read config " + file + ": " + e.getMessage(), e);
    }
    for (Map.Entry<String, Object> e : toml.entrySet()) {
      ConfigKey key = ConfigKey.of(e.getKey()).orElseThrow(() -> new IOException(
          "config " + file + ": unknown key \"" + e.getKey() + "\""
              + ConfigKey.closest(e.getKey()).map(k -> " (did you mean " + k.key() + "?)")
                  .orElse("") + "; known keys: " + ConfigKey.names()));
      try {
        ConfigValues.apply(b, key, e.getValue());
      } catch (IllegalArgumentException bad) {
        throw new IOException("config " + file + ": " + key.key() + ": " + bad.getMessage(), bad);
      }
    }
    return b;
  }

  /** The value of {@code key} as command-line text: what {@link Builder#set} reads back. */
  public String text(ConfigKey key) {
    return ConfigValues.text(this, key);
  }

  /** These settings as a TOML file that {@link #load} reads back to an equal configuration. */
  public String toToml() {
    StringBuilder s = new StringBuilder();
    for (ConfigKey k : ConfigKey.values()) {
      s.append(k.key()).append(" = ").append(ConfigValues.toml(this, k)).append('\n');
    }
    return s.toString();
  }

  /** Builds a {@link DaemonConfig}; starts from the defaults. Not thread-safe. */
  public static final class Builder {
    private Path root = DEFAULT_ROOT;
    private Path socket = DEFAULT_SOCKET;
    private Optional<String> socketGroup = Optional.empty();
    private long cacheSizeBytes = 10L << 30;
    private Duration mountTimeout = Duration.ofSeconds(30);
    private Duration shutdownTimeout = Duration.ofSeconds(10);
    private LogLevel logLevel = LogLevel.INFO;
    private LogFormat logFormat = LogFormat.TEXT;
    private Optional<InetSocketAddress> metricsAddress =
        Optional.of(new InetSocketAddress("127.0.0.1", 9102));
    private boolean lazy = true;
    private Optional<Path> hostsDir = Optional.of(Path.of(RegistryClient.DEFAULT_HOSTS_DIR));
    private Optional<Path> dockerConfig = Optional.of(Path.of("/root/.docker/config.json"));
    private List<String> plainHttp = List.of();
    private Duration readTimeout = Duration.ofSeconds(30);
    private boolean backgroundFetch = true;

    private Builder() {}

    /**
     * Whether a mounted lazy layer whose content takes at most half the chunk cache is fetched
     * whole in the background (after its prefetch, yielding to reads).
     */
    public Builder backgroundFetch(boolean backgroundFetch) {
      this.backgroundFetch = backgroundFetch;
      return this;
    }

    /** Whether lazy layers are mounted (true) or every layer is unpacked by containerd. */
    public Builder lazy(boolean lazy) {
      this.lazy = lazy;
      return this;
    }

    /** containerd's registry hosts directory ({@code certs.d/HOST/hosts.toml}); empty for none. */
    public Builder hostsDir(Optional<Path> dir) {
      this.hostsDir = dir;
      return this;
    }

    /** Docker-style credentials file; empty for anonymous access only. */
    public Builder dockerConfig(Optional<Path> file) {
      this.dockerConfig = file;
      return this;
    }

    /** Registries (host[:port]) reached over plain HTTP when no hosts.toml says otherwise. */
    public Builder plainHttp(List<String> registries) {
      this.plainHttp = registries;
      return this;
    }

    /** How long a file read may wait for its chunks before it fails with EIO. */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = timeout;
      return this;
    }

    public Builder root(Path root) {
      this.root = root;
      return this;
    }

    public Builder socket(Path socket) {
      this.socket = socket;
      return this;
    }

    public Builder socketGroup(Optional<String> group) {
      this.socketGroup = group;
      return this;
    }

    public Builder cacheSizeBytes(long bytes) {
      this.cacheSizeBytes = bytes;
      return this;
    }

    public Builder mountTimeout(Duration timeout) {
      this.mountTimeout = timeout;
      return this;
    }

    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = timeout;
      return this;
    }

    public Builder logLevel(LogLevel level) {
      this.logLevel = level;
      return this;
    }

    public Builder logFormat(LogFormat format) {
      this.logFormat = format;
      return this;
    }

    /**
     * Sets a key from command-line text, as its flag does: {@code set(CACHE_SIZE, "2GiB")}.
     *
     * @throws IllegalArgumentException if the text is not a valid value; the message shows it
     *     and what would be accepted
     */
    public Builder set(ConfigKey key, String text) {
      ConfigValues.applyText(this, key, text);
      return this;
    }

    /** Where to serve metrics; empty disables the endpoint. */
    public Builder metricsAddress(Optional<InetSocketAddress> address) {
      this.metricsAddress = address;
      return this;
    }

    /**
     * @throws IllegalArgumentException if a value is out of range (the message names the key)
     */
    public DaemonConfig build() {
      return new DaemonConfig(
          root, socket, socketGroup, cacheSizeBytes, mountTimeout, shutdownTimeout, logLevel,
          logFormat, metricsAddress, lazy, hostsDir, dockerConfig, plainHttp, readTimeout,
          backgroundFetch);
    }

    /** {@link #build()}, with a range error told as one in {@code file}. */
    public DaemonConfig build(Path file) throws IOException {
      try {
        return build();
      } catch (IllegalArgumentException bad) {
        throw new IOException("config " + file + ": " + bad.getMessage(), bad);
      }
    }
  }
}
