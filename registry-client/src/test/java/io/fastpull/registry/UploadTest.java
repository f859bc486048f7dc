package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.registry.testing.FaultProxy;
import io.fastpull.registry.testing.FaultProxy.Fault;
import io.fastpull.registry.testing.FaultProxy.Seen;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.ByteArrayInputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blob uploads through a {@link FaultProxy} in front of the real registry: no timeout bounds a whole
 * upload, stalls and late answers are bounded, chunks that break off resume where the registry says.
 */
class UploadTest {
  private static final int MIB = 1 << 20;
  private static final String UPLOADS = "/blobs/uploads/";

  @TempDir static Path dir;
  static LocalRegistry registry;
  static FaultProxy proxy;
  static RegistryClient direct;

  @BeforeAll
  static void start() throws Exception {
    registry = LocalRegistry.builder(dir.resolve("reg")).start();
    proxy = FaultProxy.start(registry.host());
    direct = RegistryClient.builder().plainHttp(registry.host()).build();
  }

  @AfterAll
  static void stop() {
    if (direct != null) direct.close();
    if (proxy != null) proxy.close();
    if (registry != null) registry.close();
  }

  @BeforeEach
  void clean() {
    proxy.reset();
  }

  /** A client through the proxy with a short read (stall) timeout and quick retries. */
  static RegistryClient.Builder client(Duration readTimeout) {
    return RegistryClient.builder().plainHttp(proxy.host()).readTimeout(readTimeout)
        .retryPolicy(new RetryPolicy(4, Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofSeconds(1)));
  }

  static ImageReference viaProxy(String repo) {
    return ImageReference.parse(proxy.host() + "/" + repo + ":1");
  }

  static ImageReference direct(String repo) {
    return ImageReference.parse(registry.host() + "/" + repo + ":1");
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static List<Seen> seen(String method) {
    return proxy.seen().stream().filter(s -> s.method().equals(method) && s.path().contains(UPLOADS)).toList();
  }

  /**
   * A sparse file of {@code size} bytes with its offset written every MiB, so a chunk sent at the wrong
   * offset or twice changes the digest, while the file costs almost no disk. Returns its digest.
   */
  static Digest markedSparseFile(Path file, long size) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    ByteBuffer mib = ByteBuffer.allocate(MIB);
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(size);
      for (long at = 0; at < size; at += MIB) {
        int n = (int) Math.min(MIB, size - at);
        mib.clear();
        mib.putLong(0, at);
        f.seek(at);
        f.write(mib.array(), 0, Math.min(8, n));
        md.update(mib.array(), 0, n);
      }
    }
    return Digest.parse("sha256:" + HexFormat.of().formatHex(md.digest()));
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void multiGibFileOutlastsTheTimeoutAndResumesAfterAResetHalfWay() throws Exception {
    long size = 2L << 30;
    long chunk = 512L * MIB;
    long lost = 256L * MIB;
    Path file = dir.resolve("big.blob");
    Digest digest = markedSparseFile(file, size);
    // 128 MiB/s: each 512 MiB chunk takes at least 4 s, twice the read timeout, and the upload at least
    // 18 s. The third PATCH (from 1 GiB) breaks off after 256 MiB at a front proxy that buffers request
    // bodies, so the registry never sees it and still holds 1 GiB.
    proxy.throttleRequestBodies(128L * MIB);
    proxy.inject(Fault.loseRequestAfter(UPLOADS, lost, 1).onMethod("PATCH").skipping(2));
    Duration readTimeout = Duration.ofSeconds(2);
    long started = System.nanoTime();
    try (RegistryClient c = client(readTimeout).uploadChunkSize(chunk).build()) {
      c.pushBlob(viaProxy("big/file"), digest, file);
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(tookMs > 4 * readTimeout.toMillis(), "the throttle makes the upload outlast the timeout: " + tookMs);

    assertEquals(size, direct.statBlob(direct("big/file"), digest).orElseThrow().size());
    assertEquals(size, Files.size(registry.blobDataFile(digest.toString())));
    List<String> ranges = seen("PATCH").stream().map(Seen::contentRange).toList();
    assertEquals(List.of("0-536870911", "536870912-1073741823", "1073741824-1610612735",
        "1073741824-1610612735", "1610612736-2147483647"), ranges, "resumed at the registry's offset");
    assertEquals(1, seen("GET").size(), "asked the registry for its offset once");
    assertEquals(size + lost, proxy.requestBodyBytes(UPLOADS), "only the lost part was sent again");
  }

  @Test
  void streamResumesInsideTheChunkItHolds() throws Exception {
    byte[] blob = random(20 * MIB + 5, 1);
    Digest digest = Digest.sha256(blob);
    proxy.inject(Fault.loseRequestAfter(UPLOADS, 3 * MIB, 1).onMethod("PATCH").skipping(1));
    try (RegistryClient c = client(Duration.ofSeconds(5)).chunkSize(8 * MIB).build()) {
      c.pushBlobChunked(viaProxy("stream/resume"), digest, new ByteArrayInputStream(blob));
    }
    assertEquals(blob.length, direct.statBlob(direct("stream/resume"), digest).orElseThrow().size());
    assertEquals(List.of("0-8388607", "8388608-16777215", "8388608-16777215", "16777216-20971524"),
        seen("PATCH").stream().map(Seen::contentRange).toList());
    assertEquals(blob.length + 3L * MIB, proxy.requestBodyBytes(UPLOADS));
  }

  @Test
  void chunkCutShortAtTheRegistryStartsTheUploadAgain() throws Exception {
    // distribution drops a session whose stored size differs from the offset in its upload URL, which a
    // chunk cut short leaves behind: its status answer is BLOB_UPLOAD_INVALID, and only a new upload helps.
    byte[] blob = random(20 * MIB, 2);
    Digest digest = Digest.sha256(blob);
    proxy.inject(Fault.resetRequestAfter(UPLOADS, 3 * MIB, 1).onMethod("PATCH").skipping(1));
    try (RegistryClient c = client(Duration.ofSeconds(5)).uploadChunkSize(8 * MIB).build()) {
      c.pushBlob(viaProxy("restart/file"), blob);
    }
    assertEquals(blob.length, direct.statBlob(direct("restart/file"), digest).orElseThrow().size());
    assertEquals(2, seen("POST").size(), "a second session");
    assertEquals(8 * MIB + 3 * MIB + blob.length, proxy.requestBodyBytes(UPLOADS));
  }

  @Test
  void stalledUploadFailsWithinTheStallBound() throws Exception {
    byte[] blob = random(48 * MIB, 3);
    // Once 1 MiB is through, the proxy stops reading: the socket buffers fill and no byte moves.
    proxy.inject(Fault.stallRequestAfter(UPLOADS, MIB, Duration.ofSeconds(60), Integer.MAX_VALUE).onMethod("PUT"));
    long started = System.nanoTime();
    try (RegistryClient c = client(Duration.ofSeconds(1))
        .retryPolicy(new RetryPolicy(2, Duration.ofMillis(50), Duration.ofMillis(50), Duration.ZERO)).build()) {
      RegistryException e = assertThrows(RegistryException.class, () -> c.pushBlob(viaProxy("stall/put"), blob));
      assertEquals(RegistryException.Kind.TIMEOUT, e.kind());
      assertTrue(e.getMessage().contains("stalled"), e.getMessage());
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    // 2 attempts x 1 s without progress, plus slack for a loaded machine; far below the 60 s stall.
    assertTrue(tookMs < 20_000, "took " + tookMs + " ms");
    assertEquals(2, seen("PUT").size(), proxy.seen().toString());
    assertTrue(direct.statBlob(direct("stall/put"), Digest.sha256(blob)).isEmpty());
  }

  @Test
  void lateAnswerToTheLastPutIsBoundedAndTheBlobFound() throws Exception {
    byte[] blob = random(3 * MIB, 4);
    Digest digest = Digest.sha256(blob);
    // The registry stores the blob, but its 201 is held back far longer than the read timeout.
    proxy.inject(Fault.delayResponse(UPLOADS, Duration.ofSeconds(60), 1).onMethod("PUT"));
    long started = System.nanoTime();
    try (RegistryClient c = client(Duration.ofSeconds(1)).build()) {
      c.pushBlob(viaProxy("late/put"), blob);
    }
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(tookMs < 20_000, "took " + tookMs + " ms");
    assertEquals(1, seen("PUT").size(), "not sent again: the registry had it");
    assertTrue(direct.statBlob(direct("late/put"), digest).isPresent());
  }

  @Test
  void outOfOrderChunkResyncsWithTheRegistry() throws Exception {
    byte[] blob = random(20 * MIB, 5);
    Digest digest = Digest.sha256(blob);
    proxy.inject(Fault.status(UPLOADS, 416, 1).onMethod("PATCH").skipping(1));
    try (RegistryClient c = client(Duration.ofSeconds(5)).uploadChunkSize(8 * MIB).build()) {
      c.pushBlob(viaProxy("resync/file"), blob);
    }
    assertTrue(direct.statBlob(direct("resync/file"), digest).isPresent());
    assertEquals(1, seen("GET").size());
    assertEquals(List.of("0-8388607", "8388608-16777215", "8388608-16777215", "16777216-20971519"),
        seen("PATCH").stream().map(Seen::contentRange).toList());
  }

  @Test
  void registryWithoutChunkedUploadsGetsOnePut() throws Exception {
    byte[] blob = random(20 * MIB, 6);
    Digest digest = Digest.sha256(blob);
    proxy.inject(Fault.status(UPLOADS, 405, Integer.MAX_VALUE).onMethod("PATCH"));
    try (RegistryClient c = client(Duration.ofSeconds(5)).uploadChunkSize(8 * MIB).build()) {
      c.pushBlob(viaProxy("monolithic/file"), blob);
    }
    assertTrue(direct.statBlob(direct("monolithic/file"), digest).isPresent());
    assertEquals(1, seen("PATCH").size());
    List<Seen> puts = seen("PUT");
    assertEquals(1, puts.size());
    assertEquals(blob.length, puts.get(0).bodyBytes());
  }
}
