package io.fastpull.registry.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real registry ({@code /usr/bin/docker-registry}, distribution 2.8) on 127.0.0.1 and a free port, with
 * storage, config and log under a caller-supplied directory. Modes: open (default), htpasswd Basic auth
 * ({@link Builder#basicAuth}), token auth ({@link Builder#tokenAuth}) and TLS with a CA made for the test
 * ({@link Builder#tls()}), combinable.
 *
 * <p>The access log (one Combined Log Format line per request, e.g.
 * {@code "GET /v2/app/blobs/sha256:... HTTP/1.1" 206}) and the registry's own log go to {@link #logFile()};
 * {@link #countRequests} counts matching access-log lines so tests can assert how many blob GETs happened.
 *
 * <pre>{@code
 * try (LocalRegistry reg = LocalRegistry.builder(tempDir).start()) {
 *   RegistryClient c = RegistryClient.builder().plainHttp(reg.host()).build();
 *   ... ImageReference.parse(reg.host() + "/app:1") ...
 *   assertEquals(1, reg.countRequests("GET", "/blobs/"));
 * }
 * }</pre>
 *
 * <p>{@link #close()} stops the process by its PID (SIGTERM, then SIGKILL after 5 s) and is idempotent.
 */
public final class LocalRegistry implements AutoCloseable {
  private static final Pattern ACCESS = Pattern.compile("\"([A-Z]+) (\\S+) HTTP/[0-9.]+\" (\\d{3})");

  private Process process;
  private int port;
  private final boolean tls;
  private final Path dir;
  private final Path log;
  private final TokenServer tokenServer;
  private boolean closed;

  private LocalRegistry(Builder b) throws IOException {
    this.dir = b.dir;
    this.tls = b.tls;
    this.tokenServer = b.tokenServer;
    Files.createDirectories(dir);
    Path storage = Files.createDirectories(dir.resolve("storage"));
    StringBuilder yaml = new StringBuilder();
    yaml.append("version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n")
        .append("storage:\n  filesystem:\n    rootdirectory: ").append(storage).append("\n  delete:\n    enabled: true\n")
        .append("http:\n  addr: 127.0.0.1:PORT\n  secret: fastpull-test-secret\n");
    if (tls) {
      Pki.selfSigned(dir, "ca", "fastpull-test-ca", true);
      Pki.serverCert(dir, "ca", "server");
      yaml.append("  tls:\n    certificate: ").append(dir.resolve("server.pem"))
          .append("\n    key: ").append(dir.resolve("server.key")).append('\n');
    }
    if (b.user != null) {
      Path htpasswd = dir.resolve("htpasswd");
      Process p = new ProcessBuilder("htpasswd", "-Bbn", b.user, b.password)
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      byte[] line;
      try {
        line = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
          throw new IOException("htpasswd -Bbn failed; is apache2-utils installed (scripts/install-deps)?");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted running htpasswd", e);
      } finally {
        p.destroyForcibly();
      }
      Files.write(htpasswd, line);
      yaml.append("auth:\n  htpasswd:\n    realm: fastpull-test\n    path: ").append(htpasswd).append('\n');
    } else if (tokenServer != null) {
      yaml.append("auth:\n  token:\n    realm: ").append(tokenServer.realm())
          .append("\n    service: ").append(TokenServer.SERVICE)
          .append("\n    issuer: ").append(TokenServer.ISSUER)
          .append("\n    rootcertbundle: ").append(tokenServer.certificate()).append('\n');
    }
    this.log = dir.resolve("registry.log");
    // The free port can be taken by someone else before the registry binds it: retry a few times.
    for (int attempt = 1; ; attempt++) {
      this.port = freePort();
      Path config = dir.resolve("config.yml");
      Files.writeString(config, yaml.toString().replace("127.0.0.1:PORT", "127.0.0.1:" + port));
      this.process = new ProcessBuilder("/usr/bin/docker-registry", "serve", config.toString())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
      try {
        awaitListening();
        return;
      } catch (IOException e) {
        stopProcess();
        if (attempt >= 3 || !logText().contains("address already in use")) {
          if (tokenServer != null) tokenServer.close();
          closed = true;
          throw e;
        }
      }
    }
  }

  /** A builder for a registry living under {@code dir} (created if missing). */
  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  private void awaitListening() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("docker-registry exited with " + process.exitValue() + ": " + logText());
      }
      // "listening on" is logged after the bind, so a foreign listener on a reused port cannot fool us.
      try (Socket s = new Socket()) {
        if (logText().contains("listening on 127.0.0.1:" + port)) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 200);
          return;
        }
        throw new IOException("not listening yet");
      } catch (IOException notYet) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted waiting for docker-registry", e);
        }
      }
    }
    throw new IOException("docker-registry did not listen on 127.0.0.1:" + port + " within 20 s: " + logText());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }

  /** {@code 127.0.0.1:PORT}, the registry name to use in image references. */
  public String host() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT} or {@code https://...} in TLS mode. */
  public String url() {
    return (tls ? "https://" : "http://") + host();
  }

  /** The PEM CA certificate that signed the server certificate (TLS mode only). */
  public Path caCertificate() {
    if (!tls) throw new IllegalStateException("registry at " + host() + " was not started with tls()");
    return dir.resolve("ca.pem");
  }

  /** The token server (token mode only). */
  public TokenServer tokenServer() {
    if (tokenServer == null) throw new IllegalStateException("registry at " + host() + " has no token auth");
    return tokenServer;
  }

  /**
   * Where the registry stores the content of blob {@code digest} ({@code sha256:...}); tests may overwrite it
   * to make the registry serve corrupt bytes.
   */
  public Path blobDataFile(String digest) {
    int colon = digest.indexOf(':');
    String algo = digest.substring(0, colon);
    String hex = digest.substring(colon + 1);
    return dir.resolve("storage/docker/registry/v2/blobs").resolve(algo).resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
  }

  /** The file holding the registry's access log and its own log output. */
  public Path logFile() {
    return log;
  }

  /** The whole log so far (access log lines plus registry messages). */
  public String logText() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** Access-log entries so far, as {@code METHOD PATH STATUS} strings (PATH includes the query). */
  public List<String> accessLog() {
    return logText().lines().map(ACCESS::matcher).filter(Matcher::find)
        .map(m -> m.group(1) + " " + m.group(2) + " " + m.group(3)).toList();
  }

  /** How many access-log entries have {@code method} and a path containing {@code pathPart}. */
  public long countRequests(String method, String pathPart) {
    return accessLog().stream().filter(e -> e.startsWith(method + " ") && e.split(" ")[1].contains(pathPart)).count();
  }

  /** Stops the registry (and its token server). Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    stopProcess();
    if (tokenServer != null) tokenServer.close();
  }

  private void stopProcess() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Chooses the registry's mode. */
  public static final class Builder {
    private final Path dir;
    private String user;
    private String password;
    private TokenServer tokenServer;
    private boolean tls;

    private Builder(Path dir) {
      this.dir = dir;
    }

    /** htpasswd (bcrypt) Basic auth with one user. */
    public Builder basicAuth(String user, String password) {
      this.user = user;
      this.password = password;
      return this;
    }

    /** Token auth against {@code server}; the registry closes it on {@link LocalRegistry#close()}. */
    public Builder tokenAuth(TokenServer server) {
      this.tokenServer = server;
      return this;
    }

    /** Serve HTTPS with a certificate for 127.0.0.1/localhost signed by a CA made now ({@link #caCertificate()}). */
    public Builder tls() {
      this.tls = true;
      return this;
    }

    public LocalRegistry start() throws IOException {
      if (user != null && tokenServer != null) {
        throw new IllegalStateException("choose basicAuth or tokenAuth, not both");
      }
      return new LocalRegistry(this);
    }
  }
}
