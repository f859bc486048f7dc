package io.fastpull.daemon;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.fastpull.registry.PlainHttpHosts;
import io.fastpull.registry.RegistryClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Daemon settings. Loaded from a flat TOML file by {@link #load(Path)} (every key optional):
 *
 * <pre>
 * root = "/var/lib/fastpull"             # metadata.db and snapshots/
 * socket = "/run/fastpull/fastpull.sock" # containerd's proxy_plugins address
 * socket_group = "containerd"            # optional: socket 0660 for this group (else 0600)
 * cache_size = "10GiB"                   # chunk cache budget (bytes or K/M/G/TiB suffix)
 * background_fetch = true                # fill mounted layers up to half the cache whole
 * mount_timeout = "30s"                  # how long a remote layer mount may take
 * shutdown_timeout = "10s"               # grace for in-flight calls on shutdown
 * log_level = "info"
 * metrics_address = "127.0.0.1:9102"     # or "disabled"
 * </pre>
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
    Objects.requireNonNull(metricsAddress, "metricsAddress");
    Objects.requireNonNull(hostsDir, "hostsDir");
    Objects.requireNonNull(dockerConfig, "dockerConfig");
    plainHttp = List.copyOf(plainHttp);
    PlainHttpHosts.parse(plainHttp);
    if (readTimeout.isNegative() || readTimeout.isZero()) {
      throw new IllegalArgumentException("read_timeout must be positive: " + readTimeout);
    }
    if (cacheSizeBytes < 0) {
      throw new IllegalArgumentException("cache_size must be >= 0: " + cacheSizeBytes);
    }
    if (mountTimeout.isNegative() || mountTimeout.isZero()) {
      throw new IllegalArgumentException("mount_timeout must be positive: " + mountTimeout);
    }
    if (shutdownTimeout.isNegative()) {
      throw new IllegalArgumentException("shutdown_timeout must be >= 0: " + shutdownTimeout);
    }
    // the kernel's sun_path holds 107 bytes plus the terminating NUL
    if (socket.toAbsolutePath().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
      throw new IllegalArgumentException("socket path longer than 107 bytes: " + socket);
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
   *     (the message names the file and key)
   */
  public static DaemonConfig load(Path file) throws IOException {
    Map<String, Object> toml;
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> read = new TomlMapper().readValue(file.toFile(), Map.class);
      toml = read == null ? new HashMap<>() : new HashMap<>(read);
    } catch (JacksonException e) {
      throw new IOException("config " + file + " is not valid TOML: " + e.getOriginalMessage(), e);
    }
    Builder b = builder();
    for (Map.Entry<String, Object> e : toml.entrySet()) {
      try {
        ConfigValues.apply(b, e.getKey(), e.getValue());
      } catch (IllegalArgumentException bad) {
        throw new IOException("config " + file + ": key " + e.getKey() + ": " + bad.getMessage(), bad);
      }
    }
    try {
      return b.build();
    } catch (IllegalArgumentException bad) {
      throw new IOException("config " + file + ": " + bad.getMessage(), bad);
    }
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

    /** Where to serve metrics; empty disables the endpoint. */
    public Builder metricsAddress(Optional<InetSocketAddress> address) {
      this.metricsAddress = address;
      return this;
    }

    public DaemonConfig build() {
      return new DaemonConfig(
          root, socket, socketGroup, cacheSizeBytes, mountTimeout, shutdownTimeout, logLevel,
          metricsAddress, lazy, hostsDir, dockerConfig, plainHttp, readTimeout, backgroundFetch);
    }
  }

  static LogLevel parseLogLevel(String s) {
    try {
      return LogLevel.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown log level \"" + s + "\" (use trace, debug, info, warn or error)");
    }
  }
}
