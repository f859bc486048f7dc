package io.fastpull.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * Blob reads against one endpoint: HEAD, whole GET (verified stream) and ranged GET (206 and
 * Content-Range checked; 200 is RANGE_NOT_SUPPORTED). Stateless and thread-safe.
 */
final class BlobReads {
  private final Transport transport;

  BlobReads(Transport transport) {
    this.transport = transport;
  }

  /** How much of a range body to read before reporting arrival (a reader may start on it). */
  private static final int ARRIVAL_STEP = 256 << 10;

  InputStream open(Endpoint ep, ImageReference repo, Digest digest) throws IOException {
    Transport.Call call = blobCall("GET", ep, repo, digest, Map.of(), "GET blob " + digest);
    Transport.Reply r = transport.send(call);
    if (r.status() != 200) throw transport.error(r, call);
    long size = r.headers().firstValueAsLong("Content-Length").orElse(-1);
    return new VerifyingStream(r.body(), digest, size, ep.authority(), repo.repository());
  }

  void readRange(Endpoint ep, ImageReference repo, Digest digest, long offset, byte[] dst, int dstOffset, int length,
      String range, String what, java.util.function.IntConsumer arrived) throws IOException {
    Transport.Call call = blobCall("GET", ep, repo, digest, Map.of("Range", range), what);
    try (Transport.Reply r = transport.send(call)) {
      if (r.status() == 200) {
        throw RegistryException.builder(RegistryException.Kind.RANGE_NOT_SUPPORTED, what)
            .status(200)
            .host(ep.authority())
            .repository(repo.repository())
            .detail("registry answered 200 with the whole blob instead of 206")
            .build();
      }
      if (r.status() != 206) throw transport.error(r, call);
      checkContentRange(r.header("Content-Range").orElse(null), offset, length, call, ep);
      int n = 0;
      java.io.InputStream body = r.body();
      while (n < length) {
        int got = body.read(dst, dstOffset + n, Math.min(length - n, ARRIVAL_STEP));
        if (got < 0) {
          break;
        }
        n += got;
        arrived.accept(n);
      }
      if (n != length) {
        throw RegistryException.builder(RegistryException.Kind.UNREACHABLE, what)
            .bodyPhase()
            .host(ep.authority())
            .repository(repo.repository())
            .detail("body ended after " + n + " of " + length + " bytes")
            .build();
      }
    }
  }

  Optional<Descriptor> stat(Endpoint ep, ImageReference repo, Digest digest) throws IOException {
    Transport.Call call = blobCall("HEAD", ep, repo, digest, Map.of(), "HEAD blob " + digest);
    try (Transport.Reply r = transport.send(call)) {
      // A mirror's 404 means "ask the next endpoint"; only the origin's 404 means absent.
      if (r.status() == 404 && !ep.mirror()) return Optional.empty();
      if (r.status() != 200) throw transport.error(r, call);
      long size = r.headers().firstValueAsLong("Content-Length").orElse(0);
      return Optional.of(Descriptor.of("application/octet-stream", digest, size));
    }
  }

  private static void checkContentRange(String header, long offset, int length, Transport.Call call, Endpoint ep)
      throws RegistryException {
    long wantEnd = offset + length - 1;
    java.util.regex.Matcher m =
        header == null ? null : java.util.regex.Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)").matcher(header.trim());
    if (m == null || !m.matches()) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
          .status(206)
          .host(ep.authority())
          .repository(call.repository())
          .detail("206 without a valid Content-Range (got " + header + ")")
          .build();
    }
    long start = Long.parseLong(m.group(1));
    long end = Long.parseLong(m.group(2));
    if (start == offset && end < wantEnd) {
      throw RegistryException.builder(RegistryException.Kind.OUT_OF_RANGE, call.what())
          .status(206)
          .host(ep.authority())
          .repository(call.repository())
          .detail("blob ends at byte " + end + " (size " + m.group(3) + "), range wants up to " + wantEnd)
          .build();
    }
    if (start != offset || end != wantEnd) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
          .status(206)
          .host(ep.authority())
          .repository(call.repository())
          .detail("asked for bytes " + offset + "-" + wantEnd + ", got Content-Range " + header)
          .build();
    }
  }

  private static Transport.Call blobCall(
      String method, Endpoint ep, ImageReference repo, Digest digest, Map<String, String> headers, String what) {
    URI uri = ep.resolve(repo.repository() + "/blobs/" + digest, null);
    return new Transport.Call(method, ep, uri, headers, null, RegistryClient.pullScope(repo.repository()), true, what, repo.repository());
  }

}
