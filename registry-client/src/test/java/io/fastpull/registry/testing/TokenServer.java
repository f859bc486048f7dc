package io.fastpull.registry.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal Docker token server for {@link LocalRegistry}'s token mode: {@code GET /token?service=&scope=}
 * with HTTP Basic credentials answers {@code {"token": JWT, "expires_in": 300}}, the JWT signed RS256 with a
 * key whose self-signed certificate the registry trusts ({@code rootcertbundle}). Every valid user gets
 * every requested action. {@link #poisonNext(int)} makes the next tokens unverifiable (signed with another
 * key) to exercise a client's refresh-on-401.
 *
 * <p>Thread-safe. Binds 127.0.0.1 on a free port; {@link #close()} stops it (idempotent).
 */
public final class TokenServer implements AutoCloseable {
  /** The {@code service} the registry is configured with. */
  public static final String SERVICE = "fastpull-test-registry";
  /** The {@code issuer} the registry is configured with. */
  public static final String ISSUER = "fastpull-test-issuer";
  /** How long past {@code exp} distribution 2.x still accepts a token. */
  private static final long REGISTRY_LEEWAY_SECONDS = 60;

  private final HttpServer server;
  private final ExecutorService executor;
  private final Path certificate;
  private final PrivateKey key;
  private final PrivateKey wrongKey;
  private final String kid;
  private final Map<String, String> users;
  private final AtomicInteger issued = new AtomicInteger();
  private final AtomicInteger poison = new AtomicInteger();
  private volatile boolean oauthField;
  private volatile long registryLifetimeSeconds = -1;
  private final List<String> scopes = new CopyOnWriteArrayList<>();

  private TokenServer(Path dir, Map<String, String> users) throws IOException {
    Pki.selfSigned(dir, "token", "fastpull-token-signer", false);
    Pki.selfSigned(dir, "wrong", "fastpull-untrusted-signer", false);
    this.certificate = dir.resolve("token.pem");
    this.key = Pki.privateKey(dir.resolve("token.key"));
    this.wrongKey = Pki.privateKey(dir.resolve("wrong.key"));
    this.kid = libtrustKeyId(Pki.certificate(certificate).getPublicKey());
    this.users = Map.copyOf(users);
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "token-server");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/token", this::handle);
    server.start();
  }

  /** Starts a token server writing its keys into {@code dir}; {@code users} maps user name to password. */
  public static TokenServer start(Path dir, Map<String, String> users) throws IOException {
    return new TokenServer(dir, users);
  }

  /** The realm URL to configure in the registry. */
  public String realm() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
  }

  /** PEM certificate of the signing key (the registry's {@code rootcertbundle}). */
  public Path certificate() {
    return certificate;
  }

  /** Tokens issued so far. */
  public int issued() {
    return issued.get();
  }

  /** The scope parameters of every token request so far, in order (space-joined per request). */
  public List<String> scopes() {
    return List.copyOf(scopes);
  }

  /** Sign the next {@code n} tokens with an untrusted key, so the registry rejects them with 401. */
  public void poisonNext(int n) {
    poison.set(n);
  }

  /**
   * Make the registry refuse tokens issued from now on {@code lifetime} after issue, while {@code
   * expires_in} still says 300 s: a client keeps using such a token until the registry answers 401,
   * as with clock skew or a token server that revokes early. distribution 2.x accepts a token for
   * 60 s past its {@code exp} (its clock-skew leeway), so {@code exp} is set that much earlier.
   */
  public void registryLifetime(java.time.Duration lifetime) {
    registryLifetimeSeconds = lifetime.toSeconds();
  }

  /** Answer with {@code access_token} (the OAuth2 field name) instead of {@code token}. */
  public void useAccessTokenField(boolean on) {
    oauthField = on;
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String user = authenticate(ex.getRequestHeaders().getFirst("Authorization"));
      if (user == null) {
        ex.sendResponseHeaders(401, -1);
        return;
      }
      List<String> requested = new ArrayList<>();
      String service = null;
      String query = ex.getRequestURI().getRawQuery();
      if (query != null) {
        for (String kv : query.split("&")) {
          int eq = kv.indexOf('=');
          String k = eq < 0 ? kv : kv.substring(0, eq);
          String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
          if (k.equals("scope")) requested.add(v);
          if (k.equals("service")) service = v;
        }
      }
      scopes.add(String.join(" ", requested));
      boolean bad = poison.getAndUpdate(p -> Math.max(0, p - 1)) > 0;
      String jwt = jwt(user, service == null ? SERVICE : service, requested, bad ? wrongKey : key);
      issued.incrementAndGet();
      byte[] body = ("{\"" + (oauthField ? "access_token" : "token") + "\":\"" + jwt + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
    } catch (RuntimeException | java.security.GeneralSecurityException e) {
      throw new IOException("token server failed", e);
    }
  }

  private String authenticate(String header) {
    if (header == null || !header.startsWith("Basic ")) {
      return users.isEmpty() ? "anonymous" : null;
    }
    String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    int colon = decoded.indexOf(':');
    if (colon < 0) return null;
    String u = decoded.substring(0, colon);
    return decoded.substring(colon + 1).equals(users.get(u)) ? u : null;
  }

  private String jwt(String subject, String audience, List<String> scopes, PrivateKey signer)
      throws java.security.GeneralSecurityException {
    StringBuilder access = new StringBuilder("[");
    for (String scope : scopes) {
      // scope = type:name:actions, where name may itself contain ':' (host:port); actions are last.
      int first = scope.indexOf(':');
      int last = scope.lastIndexOf(':');
      if (first < 0 || last <= first) continue;
      String type = scope.substring(0, first);
      String name = scope.substring(first + 1, last);
      String[] actions = scope.substring(last + 1).split(",");
      if (access.length() > 1) access.append(',');
      access.append("{\"type\":\"").append(type).append("\",\"name\":\"").append(name).append("\",\"actions\":[");
      for (int i = 0; i < actions.length; i++) {
        access.append(i > 0 ? "," : "").append('"').append(actions[i]).append('"');
      }
      access.append("]}");
    }
    access.append(']');
    long now = System.currentTimeMillis() / 1000;
    String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"" + kid + "\"}";
    String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + subject + "\",\"aud\":\"" + audience + "\",\"exp\":"
        + (registryLifetimeSeconds < 0 ? now + 300 : now + registryLifetimeSeconds - REGISTRY_LEEWAY_SECONDS)
        + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\"" + issued.get() + "-" + now
        + "\",\"access\":" + access + "}";
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Signature sig = Signature.getInstance("SHA256withRSA");
    sig.initSign(signer);
    sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
    return signingInput + "." + b64.encodeToString(sig.sign());
  }

  /**
   * The key id distribution 2.x (libtrust) derives from a public key: SHA-256 of the DER SubjectPublicKeyInfo,
   * first 240 bits, base32 without padding, in 4-character groups joined by ':'.
   */
  static String libtrustKeyId(PublicKey key) throws IOException {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      String b32 = base32(java.util.Arrays.copyOf(hash, 30));
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < b32.length(); i += 4) {
        if (i > 0) out.append(':');
        out.append(b32, i, i + 4);
      }
      return out.toString();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IOException(e);
    }
  }

  private static String base32(byte[] data) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    StringBuilder sb = new StringBuilder();
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        sb.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
        bits -= 5;
      }
    }
    if (bits > 0) sb.append(alphabet.charAt((buffer << (5 - bits)) & 31));
    return sb.toString();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
