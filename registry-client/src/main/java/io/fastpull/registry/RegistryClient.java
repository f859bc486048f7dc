package io.fastpull.registry;

import io.fastpull.registry.Endpoint.Capability;
import io.fastpull.registry.auth.CredentialStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client for the OCI distribution API (pull and push) of any number of registries.
 *
 * <p><b>Endpoints.</b> Each registry's endpoints come from the hosts directory (containerd's
 * {@code hosts.toml}, read once per registry per client): mirrors first, in file order, for the operations
 * their capabilities allow, then the origin. A failure on one endpoint moves on to the next; the last
 * endpoint's error is thrown with earlier ones suppressed.
 *
 * <p><b>Reliability.</b> Transient failures (5xx, 429 honouring {@code Retry-After}, connection failures,
 * stalls) are retried per {@link RetryPolicy}; a body read stalls out after the read timeout. Redirects are
 * followed by this client, which drops Authorization and hosts.toml headers when the target is another
 * origin (blob storage). At most {@code maxRequestsPerHost} requests run per endpoint host at once.
 *
 * <p><b>Integrity.</b> Manifests and whole blobs are checked against their digest (sha256 or sha512).
 * Ranged reads cannot be checked here; callers verify what they read (fuse-fs checks each chunk).
 *
 * <p><b>Threads and lifecycle.</b> Thread-safe; share one instance. {@link #close()} is idempotent and
 * releases the HTTP threads; later calls throw {@link IllegalStateException}.
 *
 * <p>Blob methods take an {@link ImageReference} only for its registry and repository; tag and digest
 * are ignored. Every method throws {@link RegistryException} (an IOException) for registry failures.
 */
public final class RegistryClient implements AutoCloseable {
  /**
   * containerd's registry hosts directory ({@code HOST[:PORT]/hosts.toml}), the one default shared by
   * the daemon and every command, so one hosts.toml serves containerd and fastpull alike. A missing
   * directory means no hosts.toml, as for containerd.
   */
  public static final String DEFAULT_HOSTS_DIR = "/etc/containerd/certs.d";

  private static final Logger LOG = LoggerFactory.getLogger(RegistryClient.class);

  private final Transport transport;
  private final HostsDirectory hosts;
  private final RetryPolicy retry;
  private final Sleeper sleeper;
  private final int chunkSize;
  private final long uploadChunkSize;
  private final ExecutorService ownedExecutor;
  private final Map<String, List<Endpoint>> endpoints = new ConcurrentHashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final BlobUploads uploads;
  private final ManifestReads manifests;
  private final BlobReads blobs;
  private final Referrers referrers;

  private RegistryClient(Builder b) {
    this.retry = b.retry;
    this.sleeper = b.sleeper;
    this.chunkSize = b.chunkSize;
    this.uploadChunkSize = b.uploadChunkSize;
    this.hosts = new HostsDirectory(b.hostsDir, b.plainHttp);
    AtomicInteger n = new AtomicInteger();
    this.ownedExecutor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "registry-http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.transport =
        new Transport(
            new Transport.Settings(
                b.connectTimeout, b.readTimeout, b.maxRequestsPerHost, b.retry, b.sleeper, b.clock, b.userAgent,
                ownedExecutor, System::nanoTime),
            b.credentials);
    this.uploads = new BlobUploads(transport, b.retry, b.sleeper);
    this.manifests = new ManifestReads(transport);
    this.blobs = new BlobReads(transport);
    this.referrers = new Referrers(transport, manifests, uploads, b.clock);
  }

  /** A builder with defaults: anonymous, no hosts directory, HTTPS, default timeouts and retries. */
  public static Builder builder() {
    return new Builder();
  }

  // ---- pull side ------------------------------------------------------------------------------------

  /**
   * Resolves a tag or digest to the descriptor of its manifest or index (HEAD; falls back to GET when the
   * registry omits {@code Docker-Content-Digest}).
   */
  public Descriptor resolve(ImageReference ref) throws IOException {
    Capability cap = ref.digest() != null ? Capability.PULL : Capability.RESOLVE;
    return onEndpoints(ref, cap, ep -> manifests.resolve(ep, ref));
  }

  /** Fetches a manifest or index by tag or digest, verifying its digest. */
  public ManifestContent fetchManifest(ImageReference ref) throws IOException {
    Capability cap = ref.digest() != null ? Capability.PULL : Capability.RESOLVE;
    return onEndpoints(ref, cap, ep -> manifests.fetch(ep, ref));
  }

  /**
   * Fetches the image manifest for {@code platform}: the manifest itself when {@code ref} names one, or the
   * matching entry of an index (see {@link Index#select}).
   *
   * @throws RegistryException NOT_FOUND when the index has no entry for the platform
   */
  public ManifestContent fetchImageManifest(ImageReference ref, Platform platform) throws IOException {
    ManifestContent top = fetchManifest(ref);
    if (!top.isIndex()) {
      return top;
    }
    Index index = top.index();
    Descriptor chosen =
        index.select(platform)
            .orElseThrow(() -> RegistryException.builder(RegistryException.Kind.NOT_FOUND, "select platform in " + ref)
                .repository(ref.repository())
                .detail("index lists " + index.manifests().stream().map(d -> String.valueOf(d.platform())).toList()
                    + ", none for " + platform)
                .build());
    return fetchManifest(ref.withDigest(chosen.digest()));
  }

  /**
   * Opens a blob for streaming. The stream verifies size and digest at EOF and throws DIGEST_MISMATCH
   * there, so treat the bytes as unverified until EOF is reached. The stream holds one per-host request
   * slot until closed; close it promptly. Not retried once open.
   */
  public InputStream openBlob(ImageReference repo, Digest digest) throws IOException {
    return onEndpoints(repo, Capability.PULL, ep -> blobs.open(ep, repo, digest));
  }

  /** Reads a whole blob into memory, verified; retries broken transfers. @throws RegistryException PROTOCOL past {@code maxSize} */
  public byte[] readBlob(ImageReference repo, Digest digest, int maxSize) throws IOException {
    return retryingBody("GET blob " + digest, () -> {
      try (InputStream in = openBlob(repo, digest)) {
        byte[] data = in.readNBytes(maxSize);
        if (in.read() >= 0) {
          throw RegistryException.builder(RegistryException.Kind.PROTOCOL, "GET blob " + digest)
              .repository(repo.repository())
              .detail("blob is larger than the limit of " + maxSize + " bytes")
              .build();
        }
        return data;
      }
    });
  }

  /** Reads {@code length} bytes of a blob from {@code offset}; see {@link #readBlobRange(ImageReference, Digest, long, byte[], int, int)}. */
  public byte[] readBlobRange(ImageReference repo, Digest digest, long offset, int length) throws IOException {
    byte[] out = new byte[length];
    readBlobRange(repo, digest, offset, out, 0, length);
    return out;
  }

  /**
   * Reads exactly {@code length} bytes of a blob starting at {@code offset} into {@code dst} with one HTTP
   * Range request (206 with a matching Content-Range is required). Retries transient failures, including a
   * transfer broken mid-body. The bytes are not digest-checked here.
   *
   * @throws RegistryException OUT_OF_RANGE when the range reaches past the blob's end;
   *     RANGE_NOT_SUPPORTED when the registry answers 200 (ignores Range) — this client does not fall back
   *     to downloading whole blobs for ranged reads; PROTOCOL when Content-Range does not match
   */
  public void readBlobRange(ImageReference repo, Digest digest, long offset, byte[] dst, int dstOffset, int length)
      throws IOException {
    readBlobRange(repo, digest, offset, dst, dstOffset, length, n -> {});
  }

  /**
   * Like {@link #readBlobRange(ImageReference, Digest, long, byte[], int, int)}, reporting progress: {@code
   * arrived} is called on the calling thread with the number of bytes of {@code dst} (from {@code dstOffset})
   * filled so far, each time more arrive. A retried transfer starts counting again from 0 and fills the same
   * bytes again, so a caller that acts on a prefix should act once per prefix.
   */
  public void readBlobRange(ImageReference repo, Digest digest, long offset, byte[] dst, int dstOffset, int length,
      java.util.function.IntConsumer arrived) throws IOException {
    if (offset < 0 || length <= 0) {
      throw new IllegalArgumentException("bad range offset=" + offset + " length=" + length + " for blob " + digest);
    }
    Objects.checkFromIndexSize(dstOffset, length, dst.length);
    String range = "bytes=" + offset + "-" + (offset + length - 1);
    String what = "GET blob " + digest + " range " + offset + "+" + length;
    retryingBody(what, () -> onEndpoints(repo, Capability.PULL, ep -> {
      blobs.readRange(ep, repo, digest, offset, dst, dstOffset, length, range, what, arrived);
      return null;
    }));
  }

  /**
   * Does the one-time setup of the first request now (the HTTP client and its TLS context, about
   * 0.1 s in a fresh JVM), for a long-lived process that wants its first pull fast. Idempotent;
   * sends nothing.
   */
  public void warmUp() throws IOException {
    transport.warmUp();
  }

  /** Calls blocked right now waiting for a per-host slot (for tests). */
  int waitingForSlot() {
    return transport.waitingForSlot();
  }

  /** Whether the blob exists in the repository (HEAD). */
  public boolean blobExists(ImageReference repo, Digest digest) throws IOException {
    return statBlob(repo, digest).isPresent();
  }

  /** The blob's descriptor (media type application/octet-stream, size from HEAD), or empty when absent. */
  public Optional<Descriptor> statBlob(ImageReference repo, Digest digest) throws IOException {
    return onEndpoints(repo, Capability.PULL, ep -> blobs.stat(ep, repo, digest));
  }

  // ---- push side ------------------------------------------------------------------------------------

  /**
   * Uploads a blob from a file, unless the registry already has it: in one PUT when the file is no
   * larger than the upload chunk size, else in PATCH chunks of that size that resume where the registry
   * says after a broken connection or a stall. No timeout bounds the whole upload: a body that stops
   * moving for the read timeout, or a response that takes longer than it once the body is sent, fails
   * that request. The file must not change meanwhile; the registry checks the digest.
   */
  public void pushBlob(ImageReference repo, Digest digest, Path file) throws IOException {
    Endpoint ep = pushEndpoint(repo);
    if (!uploads.exists(ep, repo, digest)) {
      uploads.upload(ep, repo, digest, UploadSource.of(file), uploadChunkSize);
    }
  }

  /** Uploads {@code data} unless present, as {@link #pushBlob(ImageReference, Digest, Path)} does; returns its sha256 digest. */
  public Digest pushBlob(ImageReference repo, byte[] data) throws IOException {
    Digest digest = Digest.sha256(data);
    Endpoint ep = pushEndpoint(repo);
    if (!uploads.exists(ep, repo, digest)) {
      uploads.upload(ep, repo, digest, UploadSource.of(data), uploadChunkSize);
    }
    return digest;
  }

  /**
   * Uploads a blob from a stream in PATCH chunks of the configured chunk size (each held in memory while
   * it is sent), then PUT; the stream is hashed on the way and the upload is cancelled with DIGEST_MISMATCH
   * if it does not match {@code digest}. A chunk that breaks off is sent again from the offset the registry
   * confirms, when that lies within the chunk; otherwise the upload fails, as the stream cannot go back.
   * Skips the upload when the registry already has the blob. Does not close {@code in}.
   */
  public void pushBlobChunked(ImageReference repo, Digest digest, InputStream in) throws IOException {
    Endpoint ep = pushEndpoint(repo);
    if (!uploads.exists(ep, repo, digest)) {
      uploads.upload(ep, repo, digest, UploadSource.of(in, chunkSize, digest.newMessageDigest()), chunkSize);
    }
  }

  /**
   * Asks the registry to mount {@code digest} from {@code fromRepository} (same registry) into {@code target}
   * without uploading.
   *
   * @return true when mounted; false when the registry declined (the caller then pushes the blob)
   */
  public boolean mountBlob(ImageReference target, String fromRepository, Digest digest) throws IOException {
    return uploads.mount(pushEndpoint(target), target, fromRepository, digest);
  }

  /**
   * Checks, without writing anything, that {@code repo} takes a push: starts a blob upload session
   * (POST, with push credentials) and cancels it (DELETE). For tools that should fail before long work
   * rather than at their first upload.
   *
   * @throws RegistryException as the first upload would fail: UNAUTHORIZED, DENIED, UNREACHABLE, TLS,
   *     CONFIG (no endpoint may push), ...
   */
  public void checkPush(ImageReference repo) throws IOException {
    uploads.probe(pushEndpoint(repo), repo);
  }

  /**
   * Pushes a manifest or index under {@code ref}'s tag (or digest when it has no tag).
   *
   * @return the digest of {@code bytes}
   * @throws RegistryException REJECTED when the registry refuses it (e.g. referenced blobs missing)
   */
  public Digest pushManifest(ImageReference ref, String mediaType, byte[] bytes) throws IOException {
    return uploads.manifest(pushEndpoint(ref), ref, mediaType, bytes).digest();
  }

  // ---- referrers (OCI 1.1) --------------------------------------------------------------------------

  /**
   * Lists the artifacts that refer to {@code subject} in {@code repo}'s repository: manifests whose
   * {@code subject} is that digest, as descriptors carrying {@code artifactType} and the manifest's
   * annotations. Uses the referrers API when the registry has it, else the referrers tag ({@code
   * sha256-HEX}) that {@link #pushReferrer} maintains.
   *
   * @param artifactType only referrers of this type; null for all (filtered here as well, since registries
   *     may ignore the filter)
   * @return the referrers, in registry order; empty when there are none, or the tag or repository is absent
   * @throws RegistryException for auth, network and protocol failures, as elsewhere
   */
  public List<Descriptor> referrers(ImageReference repo, Digest subject, String artifactType) throws IOException {
    Objects.requireNonNull(subject, "subject");
    try {
      return onEndpoints(repo, Capability.RESOLVE, ep -> referrers.list(ep, repo, subject, artifactType));
    } catch (RegistryException e) {
      // Only mirrors report a missing tag as NOT_FOUND (so the next endpoint is asked); when every endpoint
      // was a mirror, absence is still "no referrers".
      if (e.kind() == RegistryException.Kind.NOT_FOUND) return List.of();
      throw e;
    }
  }

  /**
   * Attaches an artifact to {@code subject}: pushes the empty config blob ({@code {}}, {@link
   * MediaTypes#OCI_EMPTY}), {@code blob}, and an OCI image manifest with {@code artifactType}, that config,
   * {@code blob} as its one layer, {@code subject} (media type, digest and size) and {@code annotations}
   * plus {@code org.opencontainers.image.created} (set from the clock unless given). The manifest is
   * pushed by digest, without a tag.
   *
   * <p>When the registry answers the manifest PUT with {@code OCI-Subject} it indexes referrers itself and
   * nothing more is written. Otherwise this method reads the referrers tag's index, replaces any entry with
   * the same digest by the new one and writes it back; entries whose manifests were deleted are dropped if
   * the registry rejects them. <b>That update is a read-modify-write with no lock</b> (the distribution API
   * has no conditional PUT, a known limit of the spec's tag schema): two clients pushing referrers for the
   * same subject at once can each write an index lacking the other's entry. The artifact manifests survive;
   * pushing the lost one again restores its entry. Pushing identical inputs (with a fixed {@code created})
   * twice leaves one entry.
   *
   * @param repo the repository (its tag and digest are ignored)
   * @param subject the manifest or index the artifact is about; should exist in {@code repo}
   * @param artifactType the artifact's type, not empty
   * @param blobMediaType the media type of {@code blob}, not empty
   * @param annotations manifest annotations; may be null
   * @return the artifact manifest's descriptor, with {@code artifactType} and the annotations as written
   * @throws RegistryException REJECTED when the registry refuses the manifest or the index; auth and network
   *     failures as elsewhere
   */
  public Descriptor pushReferrer(ImageReference repo, Descriptor subject, String artifactType, String blobMediaType,
      byte[] blob, Map<String, String> annotations) throws IOException {
    return referrers.push(pushEndpoint(repo), repo, subject, artifactType, blobMediaType, blob, annotations);
  }

  // ---- internals ------------------------------------------------------------------------------------

  @FunctionalInterface
  private interface EndpointOp<T> {
    T run(Endpoint ep) throws IOException;
  }

  @FunctionalInterface
  private interface Attempt<T> {
    T run() throws IOException;
  }

  private <T> T onEndpoints(ImageReference ref, Capability cap, EndpointOp<T> op) throws IOException {
    List<Endpoint> all = endpointsFor(ref);
    List<Endpoint> usable = new ArrayList<>();
    for (Endpoint e : all) {
      if (e.capabilities().contains(cap)) usable.add(e);
    }
    if (usable.isEmpty()) {
      throw RegistryException.builder(RegistryException.Kind.CONFIG, cap + " " + ref)
          .detail("no endpoint of " + ref.registry() + " has capability " + cap.name().toLowerCase())
          .build();
    }
    List<RegistryException> failures = new ArrayList<>();
    for (int i = 0; i < usable.size(); i++) {
      Endpoint ep = usable.get(i);
      try {
        return op.run(ep);
      } catch (RegistryException e) {
        if (i == usable.size() - 1) {
          failures.forEach(e::addSuppressed);
          throw e;
        }
        if (e.kind() == RegistryException.Kind.NOT_FOUND && ep.mirror()) {
          // A mirror holds what was pulled through it, not everything: its 404 is an answer, not a failure.
          LOG.debug("not on this host, trying next host={} registry={}", ep.authority(), ref.registry());
        } else {
          LOG.info("endpoint failed, trying next host={} registry={} kind={}", ep.authority(), ref.registry(), e.kind());
        }
        failures.add(e);
      }
    }
    throw new IllegalStateException("unreachable");
  }

  private <T> T retryingBody(String what, Attempt<T> attempt) throws IOException {
    for (int n = 1; ; n++) {
      try {
        return attempt.run();
      } catch (RegistryException e) {
        // Failures before the body were already retried per exchange; only a broken body earns a new request.
        if (!e.bodyPhase() || !e.isTransient() || n >= retry.maxAttempts()) throw e;
        Duration wait = retry.backoff(n);
        LOG.info("retrying request={} attempt={} reason={} wait_ms={}", what, n + 1, e.kind(), wait.toMillis());
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException(what + ": interrupted while waiting to retry");
        }
      }
    }
  }

  private List<Endpoint> endpointsFor(ImageReference ref) throws RegistryException {
    if (closed.get()) {
      throw new IllegalStateException("RegistryClient is closed");
    }
    List<Endpoint> eps = endpoints.get(ref.registry());
    if (eps == null) {
      eps = hosts.endpoints(ref);
      endpoints.putIfAbsent(ref.registry(), eps);
    }
    return eps;
  }

  private Endpoint pushEndpoint(ImageReference ref) throws RegistryException {
    for (Endpoint e : endpointsFor(ref)) {
      if (e.capabilities().contains(Capability.PUSH)) return e;
    }
    throw RegistryException.builder(RegistryException.Kind.CONFIG, "push to " + ref)
        .detail("no endpoint of " + ref.registry() + " has capability push")
        .build();
  }

  static String pullScope(String repository) {
    return "repository:" + repository + ":pull";
  }

  /** Releases HTTP threads and idle connections. Idempotent; in-flight calls may fail. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    ownedExecutor.shutdownNow();
    try {
      ownedExecutor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Configures a {@link RegistryClient}. Not thread-safe; {@link #build()} may be called more than once. */
  public static final class Builder {
    private CredentialStore credentials = CredentialStore.anonymous();
    private Path hostsDir;
    private PlainHttpHosts plainHttp = PlainHttpHosts.none();
    private RetryPolicy retry = RetryPolicy.DEFAULT;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ofSeconds(30);
    private int maxRequestsPerHost = 16;
    private Clock clock = Clock.systemUTC();
    private Sleeper sleeper = Sleeper.SYSTEM;
    private int chunkSize = 8 << 20;
    private long uploadChunkSize = 64L << 20;
    private String userAgent = "fastpull-registry-client/0.1";

    private Builder() {}

    /** Where credentials come from (default: none; see {@link io.fastpull.registry.auth.DockerConfigStore}). */
    public Builder credentials(CredentialStore credentials) {
      this.credentials = Objects.requireNonNull(credentials);
      return this;
    }

    /** containerd-style hosts directory ({@code /etc/containerd/certs.d}); default none. */
    public Builder hostsDir(Path hostsDir) {
      this.hostsDir = hostsDir;
      return this;
    }

    /**
     * Registries to reach over plain HTTP when no hosts.toml names their server: {@code HOST} (every
     * port) or {@code HOST:PORT}, as named in references ({@code 127.0.0.1:5000}); {@code
     * http://HOST[:PORT]} is read as the same. See {@link PlainHttpHosts}.
     *
     * @throws IllegalArgumentException for an entry of another form, naming it and the accepted forms
     */
    public Builder plainHttp(String... registries) {
      this.plainHttp = PlainHttpHosts.parse(List.of(registries));
      return this;
    }

    public Builder retryPolicy(RetryPolicy retry) {
      this.retry = Objects.requireNonNull(retry);
      return this;
    }

    /** Time to establish a TCP (and TLS) connection; default 10 s. */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = positive(d, "connectTimeout");
      return this;
    }

    /**
     * Longest wait for progress: for the response headers once a request is sent, for the next bytes to
     * go out while a request body is sent, and for the next bytes of a response body; default 30 s. It
     * never bounds a whole transfer that keeps moving.
     */
    public Builder readTimeout(Duration d) {
      this.readTimeout = positive(d, "readTimeout");
      return this;
    }

    /** Concurrent requests per endpoint host (open blob streams count); default 16. */
    public Builder maxRequestsPerHost(int n) {
      if (n < 1) throw new IllegalArgumentException("maxRequestsPerHost must be at least 1, got " + n);
      this.maxRequestsPerHost = n;
      return this;
    }

    /** Clock for token expiry and Retry-After dates. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** How retries wait; tests inject a short or recording sleeper. */
    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper);
      return this;
    }

    /**
     * PATCH chunk size of {@link #pushBlob(ImageReference, Digest, Path)} and {@link #pushBlob(ImageReference,
     * byte[])}: blobs up to this size go in one PUT, larger ones in chunks of it. Nothing is held in memory
     * for a file; a smaller chunk loses less to an interruption, a larger one costs fewer round trips.
     * Default 64 MiB.
     */
    public Builder uploadChunkSize(long bytes) {
      if (bytes < 1) throw new IllegalArgumentException("uploadChunkSize must be positive, got " + bytes);
      this.uploadChunkSize = bytes;
      return this;
    }

    /** PATCH chunk size for {@link #pushBlobChunked}, held in memory while it is sent; default 8 MiB. */
    public Builder chunkSize(int bytes) {
      if (bytes < 1) throw new IllegalArgumentException("chunkSize must be positive, got " + bytes);
      this.chunkSize = bytes;
      return this;
    }

    public Builder userAgent(String userAgent) {
      this.userAgent = Objects.requireNonNull(userAgent);
      return this;
    }

    public RegistryClient build() {
      return new RegistryClient(this);
    }

    private static Duration positive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
      return d;
    }
  }
}
