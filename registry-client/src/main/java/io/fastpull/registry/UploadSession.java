package io.fastpull.registry;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One blob upload session on a registry, step by step as the OCI distribution spec has it: {@link #open}
 * (POST, 202 with {@code Location}), {@link #patch} (PATCH with {@code Content-Range} and {@code
 * Content-Length}, 202 with {@code Location} and {@code Range: 0-END}), {@link #status} (GET on the upload
 * URL, 204 with the {@code Range} the registry holds: where an interrupted upload resumes), {@link #finish}
 * (PUT {@code ?digest=}, 201, with the whole blob as its body for a monolithic upload) and {@link #cancel}
 * (DELETE). The session remembers the latest {@code Location} (registries carry state in it) and the
 * offset the registry last confirmed.
 *
 * <p>No step repeats a request that may have sent body bytes: the caller decides how to go on (see
 * {@link BlobUploads}). Not thread-safe: one caller drives one session.
 */
final class UploadSession {
  private static final String OCTETS = "application/octet-stream";
  /** The value of {@code Range} in upload responses: {@code 0-END}, some registries with "bytes=". */
  private static final Pattern RANGE = Pattern.compile("(?:bytes=)?\\s*0-(\\d+)\\s*");

  private final Transport transport;
  private final Endpoint ep;
  private final ImageReference repo;
  private final Digest digest;
  private final long minChunk;
  private URI location;
  private long confirmed;

  private UploadSession(Transport transport, Endpoint ep, ImageReference repo, Digest digest, URI location,
      long minChunk) {
    this.transport = transport;
    this.ep = ep;
    this.repo = repo;
    this.digest = digest;
    this.location = location;
    this.minChunk = minChunk;
  }

  /** Starts a session (POST); the registry's smallest chunk comes from {@code OCI-Chunk-Min-Length}. */
  static UploadSession open(Transport transport, Endpoint ep, ImageReference repo, Digest digest)
      throws IOException {
    URI uri = ep.resolve(repo.repository() + "/blobs/uploads/", null);
    Transport.Call call = call("POST", ep, uri, Map.of(), null, true, "start upload of " + digest, repo);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 202) throw transport.error(r, call);
      long min = 0;
      try {
        min = Math.max(0, Long.parseLong(r.header("OCI-Chunk-Min-Length").orElse("0").trim()));
      } catch (NumberFormatException ignored) {
        // A malformed hint is no reason to fail the upload; chunks keep their configured size.
      }
      return new UploadSession(transport, ep, repo, digest, r.uri().resolve(locationOf(r, call)), min);
    }
  }

  /** The offset up to which the registry has confirmed holding the blob's bytes. */
  long confirmed() {
    return confirmed;
  }

  /** The smallest chunk the registry accepts (except the last), 0 when it did not say. */
  long minChunk() {
    return minChunk;
  }

  /**
   * Sends bytes {@code [confirmed(), confirmed() + length)} of the blob. Returns (and remembers) the new
   * confirmed offset, normally {@code confirmed() + length}.
   *
   * @throws RegistryException as the exchange failed; OUT_OF_RANGE for 416 (the registry holds another
   *     offset: ask {@link #status()}); PROTOCOL when the registry confirms bytes it was never sent
   */
  long patch(Transport.Body body, long length) throws IOException {
    long from = confirmed;
    Transport.Call call =
        call("PATCH", ep, location,
            Map.of("Content-Type", OCTETS, "Content-Range", from + "-" + (from + length - 1)), body, false,
            "PATCH blob " + digest + " bytes " + from + "-" + (from + length - 1), repo);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 202) throw transport.error(r, call);
      location = r.uri().resolve(locationOf(r, call));
      String range = r.header("Range").orElse(null);
      long end = range == null ? from + length : rangeEnd(range, call, r.status());
      if (end < from || end > from + length) {
        throw protocol(call, r.status(), "registry confirmed " + end + " bytes after a chunk ending at "
            + (from + length));
      }
      confirmed = end;
      return end;
    }
  }

  /**
   * Asks the registry how much of the blob it holds (GET on the upload URL) and continues from there.
   *
   * @return the registry's offset, now {@link #confirmed()}
   * @throws RegistryException when the session is gone or refused (NOT_FOUND, REJECTED: the upload must
   *     start again), or as the exchange failed
   */
  long status() throws IOException {
    Transport.Call call = call("GET", ep, location, Map.of(), null, true, "upload status of " + digest, repo);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 204 && r.status() != 200) throw transport.error(r, call);
      location = r.header("Location").map(l -> r.uri().resolve(l)).orElse(location);
      String range = r.header("Range").orElse(null);
      long end = range == null ? 0 : rangeEnd(range, call, r.status());
      // "0-0" is what distribution answers for 0 and for 1 byte alike: trust it for no more than we knew.
      confirmed = end == 1 ? Math.min(confirmed, 1) : end;
      return confirmed;
    }
  }

  /**
   * Completes the upload: PUT {@code ?digest=}, with {@code body} ({@code length} bytes, the whole blob)
   * for a monolithic upload or none after the chunks. The registry checks the digest.
   */
  void finish(Transport.Body body, long length) throws IOException {
    URI put = URI.create(location + (location.getRawQuery() == null ? "?" : "&") + "digest="
        + URLEncoder.encode(digest.toString(), StandardCharsets.UTF_8));
    Transport.Call call =
        call("PUT", ep, put, Map.of("Content-Type", OCTETS), body, false,
            body == null ? "PUT blob " + digest : "PUT blob " + digest + " (" + length + " bytes)", repo);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() != 201) throw transport.error(r, call);
    }
  }

  /** Drops the session (DELETE); failures are ignored, as abandoned sessions expire on the registry. */
  void cancel() {
    Transport.Call call = call("DELETE", ep, location, Map.of(), null, true, "cancel upload of " + digest, repo);
    try (Transport.Reply r = transport.send(call)) {
      r.status();
    } catch (IOException e) {
      // nothing else to do
    }
  }

  /** The exclusive end of a {@code 0-END} Range header. */
  private static long rangeEnd(String value, Transport.Call call, int status) throws RegistryException {
    Matcher m = RANGE.matcher(value);
    if (!m.matches()) {
      throw protocol(call, status, "malformed Range header '" + value + "' (want 0-END)");
    }
    try {
      return Math.addExact(Long.parseLong(m.group(1)), 1);
    } catch (ArithmeticException | NumberFormatException e) {
      throw protocol(call, status, "Range header '" + value + "' is out of bounds");
    }
  }

  static String locationOf(Transport.Reply r, Transport.Call call) throws RegistryException {
    return r.header("Location")
        .orElseThrow(() -> protocol(call, r.status(), "upload response has no Location header"));
  }

  private static RegistryException protocol(Transport.Call call, int status, String detail) {
    return RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
        .status(status)
        .host(call.endpoint().authority())
        .repository(call.repository())
        .detail(detail)
        .build();
  }

  private static Transport.Call call(String method, Endpoint ep, URI uri, Map<String, String> headers,
      Transport.Body body, boolean idempotent, String what, ImageReference repo) {
    return new Transport.Call(method, ep, uri, headers, body, "repository:" + repo.repository() + ":pull,push",
        idempotent, what, repo.repository());
  }
}
