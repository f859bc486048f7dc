package io.fastpull.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Flow;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one logical request to one endpoint: authenticates (answering 401 challenges once), follows
 * redirects itself so the registry's Authorization and hosts.toml headers never reach another origin,
 * limits concurrent requests per endpoint host, and retries transient failures with backoff. Returns the
 * final response with its body as a {@link BodyStream}; the caller must close it (that frees the per-host
 * permit). Thread-safe.
 */
final class Transport {
  private static final Logger LOG = LoggerFactory.getLogger(Transport.class);
  private static final int MAX_REDIRECTS = 5;
  private static final int MAX_ERROR_BODY = 64 * 1024;

  /** A request body that can be produced again for a retry. */
  @FunctionalInterface
  interface Body {
    HttpRequest.BodyPublisher publisher() throws IOException;
  }

  /**
   * One logical request.
   *
   * @param what a short description for messages ("GET blob sha256:...")
   * @param scope the token scope this request needs ("repository:foo:pull")
   * @param idempotent whether a failure after sending may be retried
   */
  record Call(
      String method,
      Endpoint endpoint,
      URI uri,
      Map<String, String> headers,
      Body body,
      String scope,
      boolean idempotent,
      String what,
      String repository) {}

  /** A response; closing it closes the body. */
  record Reply(int status, HttpHeaders headers, BodyStream body, URI uri) implements AutoCloseable {
    Optional<String> header(String name) {
      return headers.firstValue(name);
    }

    /**
     * Closes the body. A body already read to its end (or empty, as for HEAD) lets the connection go back
     * to the pool; a short remainder is drained for the same reason; anything longer costs the connection.
     */
    @Override
    public void close() {
      body.drainAndClose(16 * 1024);
    }
  }

  /** Fixed settings. */
  record Settings(
      Duration connectTimeout,
      Duration readTimeout,
      int maxRequestsPerHost,
      RetryPolicy retry,
      Sleeper sleeper,
      java.time.Clock clock,
      String userAgent,
      ExecutorService executor,
      LongSupplier ticker) {}

  private final Settings settings;
  private final Authorizer authorizer;
  private final Map<TlsSettings, HttpClient> clients = new ConcurrentHashMap<>();
  private final Map<String, Semaphore> permits = new ConcurrentHashMap<>();

  Transport(Settings settings, io.fastpull.registry.auth.CredentialStore credentials) {
    this.settings = settings;
    this.authorizer = new Authorizer(credentials, settings.clock(), new TokenClient(this, settings));
  }

  /** Sends {@code call}, retrying transient failures; any status may come back except a first 401. */
  Reply send(Call call) throws IOException {
    RetryPolicy policy = settings.retry();
    for (int attempt = 1; ; attempt++) {
      Reply r;
      try {
        r = sendAuthorized(call);
      } catch (RegistryException e) {
        if (attempt < policy.maxAttempts() && e.isTransient() && safeToRepeat(call, e)) {
          pause(call, attempt, policy.backoff(attempt), e.kind().toString());
          continue;
        }
        throw e;
      }
      int st = r.status();
      // 429/502/503/504 mean the request was not processed; a 500 may have been, so only idempotent calls repeat it.
      boolean retryable = st == 429 || st == 502 || st == 503 || st == 504 || (st == 500 && call.idempotent());
      if (retryable && attempt < policy.maxAttempts()) {
        Duration wait = retryAfter(r).orElse(policy.backoff(attempt));
        r.body().drainAndClose(MAX_ERROR_BODY);
        pause(call, attempt, wait, "status " + st);
        continue;
      }
      return r;
    }
  }

  private void pause(Call call, int attempt, Duration wait, String why) throws InterruptedIOException {
    LOG.info(
        "retrying request={} host={} attempt={} reason=\"{}\" wait_ms={}",
        call.what(), call.endpoint().authority(), attempt + 1, why, wait.toMillis());
    try {
      settings.sleeper().sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(call.what() + ": interrupted while waiting to retry");
    }
  }

  private static boolean safeToRepeat(Call call, RegistryException e) {
    Throwable c = e.getCause();
    return call.idempotent() || c instanceof ConnectException || c instanceof HttpConnectTimeoutException;
  }

  private Optional<Duration> retryAfter(Reply r) {
    Optional<String> h = r.header("Retry-After");
    if (h.isEmpty()) return Optional.empty();
    Duration d;
    String v = h.get().trim();
    try {
      d = Duration.ofSeconds(Long.parseLong(v));
    } catch (NumberFormatException e) {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        d = Duration.between(settings.clock().instant(), at);
      } catch (RuntimeException e2) {
        return Optional.empty();
      }
    }
    if (d.isNegative()) d = Duration.ZERO;
    Duration cap = settings.retry().maxRetryAfter();
    return Optional.of(d.compareTo(cap) > 0 ? cap : d);
  }

  private Reply sendAuthorized(Call call) throws IOException {
    String auth = authorizer.current(call.endpoint(), call.scope(), call.repository());
    Reply r = sendFollowing(call, auth);
    if (r.status() != 401) {
      return r;
    }
    List<Challenge> offered = Challenge.parse(r.headers().allValues("WWW-Authenticate"));
    r.body().drainAndClose(MAX_ERROR_BODY);
    String next = authorizer.answer(call.endpoint(), offered, call.scope(), auth, call.what(), call.repository());
    Reply again = sendFollowing(call, next);
    if (again.status() == 401) {
      again.body().drainAndClose(MAX_ERROR_BODY);
      throw authorizer.rejected(call.endpoint(), call.what(), call.repository());
    }
    return again;
  }

  private Reply sendFollowing(Call call, String authorization) throws IOException {
    URI uri = call.uri();
    String method = call.method();
    Body body = call.body();
    boolean sameOrigin = true;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      // No HttpRequest.timeout: java.net.http counts the upload of the body in it. exchange() bounds the
      // stalls of the upload and the wait for the response instead.
      WatchedBody watched = body == null ? null : new WatchedBody(body.publisher(), settings.ticker());
      HttpRequest.Builder b =
          HttpRequest.newBuilder(uri)
              .method(method, watched == null ? HttpRequest.BodyPublishers.noBody() : watched)
              .header("User-Agent", settings.userAgent());
      if (sameOrigin) {
        call.endpoint().headers().forEach((k, vs) -> vs.forEach(v -> b.header(k, v)));
        if (authorization != null) b.header("Authorization", authorization);
      }
      call.headers().forEach(b::header);
      Reply r = exchange(call, b.build(), watched);
      int st = r.status();
      Optional<String> location = r.header("Location");
      if ((st == 301 || st == 302 || st == 303 || st == 307 || st == 308) && location.isPresent()) {
        r.body().drainAndClose(MAX_ERROR_BODY);
        URI next = uri.resolve(location.get());
        sameOrigin = sameOrigin && sameOrigin(next, call.endpoint().base());
        if (st == 303 || ((st == 301 || st == 302) && !method.equals("GET") && !method.equals("HEAD"))) {
          method = "GET";
          body = null;
        }
        LOG.debug("redirect request={} status={} to_host={} same_origin={}", call.what(), st, next.getRawAuthority(), sameOrigin);
        uri = next;
        continue;
      }
      return r;
    }
    throw RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
        .host(call.endpoint().authority())
        .repository(call.repository())
        .detail("more than " + MAX_REDIRECTS + " redirects")
        .build();
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost().equalsIgnoreCase(b.getHost())
        && port(a) == port(b);
  }

  private static int port(URI u) {
    return u.getPort() != -1 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
  }

  /** One bodiless HTTP exchange under the per-host limit: no auth, no redirects, no retries. */
  Reply exchange(Call call, HttpRequest request) throws IOException {
    return exchange(call, request, null);
  }

  /**
   * One HTTP exchange under the per-host limit: no auth, no redirects, no retries. {@code body} is the
   * request's body publisher (null for none): while it is being sent, the exchange fails with TIMEOUT
   * after the read timeout without progress; once it is sent (or from the start when there is none), it
   * fails with TIMEOUT when the response headers take longer than the read timeout. A transfer that keeps
   * moving is never cut, however long it takes.
   */
  Reply exchange(Call call, HttpRequest request, WatchedBody body) throws IOException {
    Semaphore sem = permits.computeIfAbsent(call.endpoint().authority(), k -> new Semaphore(settings.maxRequestsPerHost()));
    try {
      sem.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(call.what() + ": interrupted while waiting for a connection slot");
    }
    String host = request.uri().getRawAuthority();
    HttpResponse<Flow.Publisher<List<ByteBuffer>>> resp;
    try {
      resp = awaitHeaders(client(call.endpoint().tls()).sendAsync(request, HttpResponse.BodyHandlers.ofPublisher()),
          body, call, request);
    } catch (IOException | RuntimeException e) {
      sem.release();
      throw e;
    }
    BodyStream stream = new BodyStream(settings.readTimeout(), call.what(), host, sem::release);
    resp.body().subscribe(stream);
    LOG.debug("http method={} host={} path={} status={}", request.method(), host, request.uri().getRawPath(), resp.statusCode());
    return new Reply(resp.statusCode(), resp.headers(), stream, request.uri());
  }

  /**
   * Waits for the response headers of {@code pending}, cancelling the exchange (which closes its
   * connection) when the body stalls or the response is late; see {@link #exchange(Call, HttpRequest,
   * WatchedBody)}.
   */
  private HttpResponse<Flow.Publisher<List<ByteBuffer>>> awaitHeaders(
      CompletableFuture<HttpResponse<Flow.Publisher<List<ByteBuffer>>>> pending, WatchedBody body, Call call,
      HttpRequest request) throws IOException {
    String host = request.uri().getRawAuthority();
    long limit = settings.readTimeout().toNanos();
    long started = settings.ticker().getAsLong();
    while (true) {
      boolean sending = body != null && !body.finished();
      long since = body == null ? started : sending ? body.lastProgress() : body.finishedAt();
      // Until the body starts, the client is connecting: that has its own bound, on top of this one.
      long grace = sending && !body.started() ? settings.connectTimeout().toNanos() : 0;
      long left = since + grace + limit - settings.ticker().getAsLong();
      if (left <= 0) {
        // Cancelling a future of sendAsync cancels the exchange and frees its connection (JDK 16+).
        pending.cancel(true);
        if (pending.isDone() && !pending.isCompletedExceptionally()) return pending.join();
        throw RegistryException.builder(RegistryException.Kind.TIMEOUT, call.what())
            .host(host)
            .repository(call.repository())
            .detail(timeoutDetail(body, sending))
            .build();
      }
      try {
        // Never longer than one read timeout: the body may start meanwhile, which ends the grace.
        return pending.get(Math.min(left, limit), TimeUnit.NANOSECONDS);
      } catch (TimeoutException notYet) {
        // Progress may have moved the deadline: look again.
      } catch (InterruptedException e) {
        pending.cancel(true);
        Thread.currentThread().interrupt();
        throw new InterruptedIOException(call.what() + ": interrupted");
      } catch (ExecutionException | java.util.concurrent.CancellationException e) {
        throw translate(ioCause(e, call), call, request.uri());
      }
    }
  }

  private String timeoutDetail(WatchedBody body, boolean sending) {
    long ms = settings.readTimeout().toMillis();
    if (body == null) {
      return "no response headers within " + ms + " ms";
    }
    long length = body.contentLength();
    String of = length >= 0 ? " of " + length : "";
    if (sending) {
      return "the upload stalled: no bytes went out for " + ms + " ms after " + body.bytesSent() + of
          + " bytes of the request body";
    }
    return "no response headers within " + ms + " ms after the whole request body (" + body.bytesSent()
        + " bytes) was sent";
  }

  /** The IOException behind a failed sendAsync, as java.net.http's blocking send would throw it. */
  private static IOException ioCause(Exception e, Call call) {
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof IOException io) return io;
    }
    if (e.getCause() instanceof RuntimeException re) throw re;
    if (e.getCause() instanceof Error err) throw err;
    return new IOException(call.what() + ": " + e, e);
  }

  private RegistryException translate(IOException e, Call call, URI uri) {
    String host = uri.getRawAuthority();
    RegistryException.Kind kind;
    String detail;
    if (hasCause(e, SSLException.class) && !hasCause(e, CertificateException.class)
        && PlainHttpProbe.speaksPlainHttp(uri, min(settings.connectTimeout(), settings.readTimeout()))) {
      kind = RegistryException.Kind.PLAIN_HTTP;
      detail = host + " answers plain HTTP, not TLS; allow it with --plain-http " + host + " (daemon: plain_http = [\""
          + host + "\"]), or in the hosts directory (--hosts-dir, e.g. /etc/containerd/certs.d) write " + host
          + "/hosts.toml with server = \"http://" + host + "\"";
    } else if (hasCause(e, SSLException.class)) {
      kind = RegistryException.Kind.TLS;
      detail = "TLS handshake failed: " + e.getMessage();
    } else if (e instanceof HttpConnectTimeoutException) {
      kind = RegistryException.Kind.UNREACHABLE;
      detail = "connect timed out";
    } else if (e instanceof HttpTimeoutException) {
      kind = RegistryException.Kind.TIMEOUT;
      detail = "no response headers in time";
    } else {
      kind = RegistryException.Kind.UNREACHABLE;
      detail = e.toString();
    }
    return RegistryException.builder(kind, call.what())
        .host(host)
        .repository(call.repository())
        .detail(detail)
        .cause(e)
        .build();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) return true;
    }
    return false;
  }

  /** Builds the default HTTP client now (TLS context included), so a first request need not. */
  void warmUp() throws RegistryException {
    client(TlsSettings.DEFAULT);
  }

  /** Calls blocked right now waiting for a per-host slot, across hosts (an estimate, for tests). */
  int waitingForSlot() {
    return permits.values().stream().mapToInt(Semaphore::getQueueLength).sum();
  }

  private HttpClient client(TlsSettings tls) throws RegistryException {
    HttpClient c = clients.get(tls);
    if (c != null) return c;
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(settings.connectTimeout())
            .executor(settings.executor());
    if (!tls.equals(TlsSettings.DEFAULT)) {
      b.sslContext(TrustManagers.sslContext(tls));
    }
    HttpClient built = b.build();
    HttpClient prior = clients.putIfAbsent(tls, built);
    return prior != null ? prior : built;
  }

  /** Builds the exception for an unexpected status, reading the OCI error body (closes the reply). */
  RegistryException error(Reply r, Call call) {
    byte[] body;
    try (r) {
      body = r.body().readNBytes(MAX_ERROR_BODY);
    } catch (IOException e) {
      body = new byte[0];
    }
    String code = null;
    String message = null;
    try {
      JsonNode errors = Json.MAPPER.readTree(body).path("errors");
      if (errors.isArray() && errors.size() > 0) {
        code = errors.get(0).path("code").asText(null);
        message = errors.get(0).path("message").asText(null);
      }
    } catch (IOException | RuntimeException ignored) {
      // Not every error body is OCI JSON (proxies answer HTML); the status still tells the story.
    }
    int st = r.status();
    RegistryException.Kind kind =
        switch (st) {
          case 401 -> RegistryException.Kind.UNAUTHORIZED;
          case 403 -> RegistryException.Kind.DENIED;
          case 404 -> RegistryException.Kind.NOT_FOUND;
          case 416 -> RegistryException.Kind.OUT_OF_RANGE;
          case 429 -> RegistryException.Kind.RATE_LIMITED;
          default -> st >= 500
              ? RegistryException.Kind.UNAVAILABLE
              : st >= 400 ? RegistryException.Kind.REJECTED : RegistryException.Kind.PROTOCOL;
        };
    if ("DIGEST_INVALID".equals(code) || "SIZE_INVALID".equals(code)) {
      kind = RegistryException.Kind.DIGEST_MISMATCH;
    }
    return RegistryException.builder(kind, call.what())
        .status(st)
        .errorCode(code)
        .host(r.uri().getRawAuthority())
        .repository(call.repository())
        .detail(message != null ? message : st < 400 ? "unexpected status " + st : null)
        .build();
  }
}
