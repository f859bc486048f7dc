package io.fastpull.registry;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The push side of the distribution API against one endpoint: existence checks, blob uploads
 * (monolithic POST+PUT, chunked POST+PATCH*+PUT that resume where the registry says, see {@link
 * UploadSession}), cross-repository mounts and manifest PUTs. Thread-safe; each upload is its own session.
 */
final class BlobUploads {
  private static final Logger LOG = LoggerFactory.getLogger(BlobUploads.class);

  private final Transport transport;
  private final RetryPolicy retry;
  private final Sleeper sleeper;

  BlobUploads(Transport transport, RetryPolicy retry, Sleeper sleeper) {
    this.transport = transport;
    this.retry = retry;
    this.sleeper = sleeper;
  }

  boolean exists(Endpoint ep, ImageReference repo, Digest digest) throws IOException {
    URI uri = ep.resolve(repo.repository() + "/blobs/" + digest, null);
    Transport.Call call = call("HEAD", ep, uri, Map.of(), null, pushScope(repo), true, "HEAD blob " + digest, repo);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() == 200) return true;
      if (r.status() == 404) return false;
      throw transport.error(r, call);
    }
  }

  /**
   * Uploads {@code source} as blob {@code digest}. A source of known size up to {@code chunkSize} goes in
   * one PUT; a larger one (or a stream) in PATCH chunks of {@code chunkSize} (at least the registry's
   * {@code OCI-Chunk-Min-Length}), unless the registry refuses chunks (405, 501 or UNSUPPORTED on the
   * first one), when a replayable source goes in one PUT instead.
   *
   * <p>No transfer is bounded as a whole; the transport bounds stalls. When a chunk fails (a broken
   * connection, a stall, a 5xx or a 416), the upload asks the registry how much it holds and goes on from
   * there; a monolithic PUT starts again. When the registry has dropped the session (distribution does
   * when a chunk broke off half-way), a replayable source starts again from byte 0. Failures that make
   * no progress are bounded by the retry policy's attempts, and so are restarts; on giving up the
   * session is cancelled.
   */
  void upload(Endpoint ep, ImageReference repo, Digest digest, UploadSource source, long chunkSize)
      throws IOException {
    boolean chunked = source.size() < 0 || source.size() > chunkSize;
    int failures = 0;
    int restarts = 0;
    UploadSession session = null;
    boolean done = false;
    try {
      while (true) {
        try {
          if (session == null) session = UploadSession.open(transport, ep, repo, digest);
          if (!chunked) {
            long size = source.size();
            source.window(0, size);
            session.finish(source.body(0, size), size);
          } else {
            long chunk = Math.max(chunkSize, session.minChunk());
            for (long len; (len = source.window(session.confirmed(), chunk)) > 0; ) {
              session.patch(source.body(session.confirmed(), len), len);
              failures = 0;
            }
            source.verify(digest);
            session.finish(null, 0);
          }
          done = true;
          LOG.debug("blob pushed repository={} digest={} size={} mode={} restarts={}", repo.repository(), digest,
              chunked ? session.confirmed() : source.size(), chunked ? "chunked" : "monolithic", restarts);
          return;
        } catch (RegistryException e) {
          if (chunked && session != null && session.confirmed() == 0 && source.replayable() && refusesChunks(e)) {
            LOG.info("registry refused a chunked upload, sending one PUT host={} repository={} digest={} status={}",
                ep.authority(), repo.repository(), digest, e.status());
            chunked = false;
            session.cancel();
            session = null;
            continue;
          }
          if (!(e.isTransient() || e.kind() == RegistryException.Kind.OUT_OF_RANGE) || ++failures >= retry.maxAttempts()) {
            throw e;
          }
          pause(e, failures);
          if (present(ep, repo, digest)) {
            // The final PUT went through and only its answer was lost.
            done = true;
            return;
          }
          if (session == null) continue;
          if (!chunked) {
            session.cancel();
            session = null;
            continue;
          }
          try {
            long at = session.status();
            LOG.info("upload interrupted, resuming repository={} digest={} offset={} reason={}",
                repo.repository(), digest, at, e.kind());
          } catch (RegistryException gone) {
            if (gone.isTransient()) continue;
            if (!source.replayable() || ++restarts >= retry.maxAttempts()) {
              e.addSuppressed(gone);
              throw e;
            }
            LOG.warn("upload session lost, starting again from byte 0 repository={} digest={} reason={} status={}",
                repo.repository(), digest, e.kind(), gone.status());
            session.cancel();
            session = null;
          }
        }
      }
    } finally {
      if (!done && session != null) session.cancel();
    }
  }

  /** Uploads a small in-memory blob in one PUT, unless the registry has it. */
  void pushIfAbsent(Endpoint ep, ImageReference repo, Digest digest, byte[] data) throws IOException {
    if (!exists(ep, repo, digest)) {
      upload(ep, repo, digest, UploadSource.of(data), Long.MAX_VALUE);
    }
  }

  /** 405 and 501 are "no PATCH here"; UNSUPPORTED is the OCI error code for it. */
  private static boolean refusesChunks(RegistryException e) {
    return e.status() == 405 || e.status() == 501 || "UNSUPPORTED".equals(e.errorCode().orElse(null));
  }

  private boolean present(Endpoint ep, ImageReference repo, Digest digest) {
    try {
      return exists(ep, repo, digest);
    } catch (IOException e) {
      return false;
    }
  }

  private void pause(RegistryException e, int failures) throws IOException {
    java.time.Duration wait = retry.backoff(failures);
    try {
      sleeper.sleep(wait);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      java.io.InterruptedIOException stop = new java.io.InterruptedIOException("upload interrupted while waiting to retry");
      stop.addSuppressed(e);
      throw stop;
    }
  }

  boolean mount(Endpoint ep, ImageReference target, String from, Digest digest) throws IOException {
    URI uri = ep.resolve(target.repository() + "/blobs/uploads/", "mount=" + enc(digest.toString()) + "&from=" + enc(from));
    String scope = pushScope(target) + " repository:" + from + ":pull";
    Transport.Call call = call("POST", ep, uri, Map.of(), null, scope, false, "mount blob " + digest + " from " + from, target);
    URI location;
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() == 201) return true;
      if (r.status() != 202) throw transport.error(r, call);
      location = r.uri().resolve(UploadSession.locationOf(r, call));
    }
    // The registry opened an upload session instead; drop it, the caller pushes.
    cancel(ep, target, location);
    return false;
  }

  /** Starts an upload session and cancels it: the repository takes pushes; nothing is written. */
  void probe(Endpoint ep, ImageReference repo) throws IOException {
    URI uri = ep.resolve(repo.repository() + "/blobs/uploads/", null);
    Transport.Call call = call("POST", ep, uri, Map.of(), null, pushScope(repo), false, "check push access", repo);
    URI location;
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 202) throw transport.error(r, call);
      location = r.uri().resolve(UploadSession.locationOf(r, call));
    }
    cancel(ep, repo, location);
  }

  /**
   * The result of a manifest PUT.
   *
   * @param digest the manifest's digest
   * @param subject the {@code OCI-Subject} response header (OCI 1.1 registries that index referrers), if any
   */
  record PushedManifest(Digest digest, Optional<String> subject) {}

  PushedManifest manifest(Endpoint ep, ImageReference ref, String mediaType, byte[] bytes) throws IOException {
    Digest digest = ref.digest() != null ? ref.digest() : Digest.sha256(bytes);
    if (!digest.matches(digest.newMessageDigest().digest(bytes))) {
      throw new IllegalArgumentException("manifest bytes do not hash to the reference's digest " + digest);
    }
    String reference = ref.tag() != null ? ref.tag() : digest.toString();
    URI uri = ep.resolve(ref.repository() + "/manifests/" + reference, null);
    Transport.Call call =
        call("PUT", ep, uri, Map.of("Content-Type", mediaType), () -> HttpRequest.BodyPublishers.ofByteArray(bytes),
            pushScope(ref), true, "PUT manifest " + ref, ref);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 201) throw transport.error(r, call);
      Optional<String> reported = r.header("Docker-Content-Digest");
      if (reported.isPresent() && !reported.get().trim().equals(digest.toString())) {
        throw RegistryException.builder(RegistryException.Kind.DIGEST_MISMATCH, call.what())
            .host(ep.authority())
            .repository(ref.repository())
            .detail("registry stored digest " + reported.get() + ", expected " + digest)
            .build();
      }
      return new PushedManifest(digest, r.header("OCI-Subject").map(String::trim));
    }
  }

  private void cancel(Endpoint ep, ImageReference repo, URI location) {
    Transport.Call call = call("DELETE", ep, location, Map.of(), null, pushScope(repo), true, "cancel upload", repo);
    try (Transport.Reply r = transport.send(call)) {
      LOG.debug("upload cancelled repository={} status={}", repo.repository(), r.status());
    } catch (IOException e) {
      // Abandoned sessions expire on the registry; nothing else to do.
      LOG.debug("upload cancel failed repository={} kind={}", repo.repository(), e.getClass().getSimpleName());
    }
  }

  private static Transport.Call call(String method, Endpoint ep, URI uri, Map<String, String> headers, Transport.Body body,
      String scope, boolean idempotent, String what, ImageReference repo) {
    return new Transport.Call(method, ep, uri, headers, body, scope, idempotent, what, repo.repository());
  }

  private static String pushScope(ImageReference repo) {
    return "repository:" + repo.repository() + ":pull,push";
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
