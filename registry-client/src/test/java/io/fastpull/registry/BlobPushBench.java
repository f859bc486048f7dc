package io.fastpull.registry;

import io.fastpull.registry.testing.LocalRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Benchmark (not a test): time and rate of {@link RegistryClient#pushBlob(ImageReference, Digest, Path)}
 * for one large incompressible file to a docker-registry on loopback, with the client's default settings
 * and again with a 1 h read timeout (so a client that bounds the whole upload still shows its rate).
 * Writes about twice the blob size under a new temporary directory in {@code DIR}, removed at the end.
 *
 * <pre>
 * mvn -B -ntp -o -q -pl registry-client test-compile dependency:build-classpath \
 *   -Dmdep.outputFile=/tmp/registry.cp -Dmdep.includeScope=test
 * java -cp registry-client/target/test-classes:registry-client/target/classes:$(cat /tmp/registry.cp) \
 *   io.fastpull.registry.BlobPushBench /var/tmp 2048 [-Dchunk.mib=256]
 * </pre>
 *
 * <p>{@code -Dchunk.mib=N} sets the upload chunk size of both runs.
 */
public final class BlobPushBench {
  private BlobPushBench() {}

  public static void main(String[] args) throws Exception {
    Path parent = Path.of(args.length > 0 ? args[0] : "/var/tmp");
    long mib = args.length > 1 ? Long.parseLong(args[1]) : 2048;
    Path dir = Files.createTempDirectory(parent, "fastpull-push-bench-");
    try {
      Path blob = dir.resolve("blob.bin");
      Digest digest = write(blob, mib << 20);
      try (LocalRegistry registry = LocalRegistry.builder(dir.resolve("reg")).start()) {
        run("default settings", registry, blob, digest, "bench/default:1", null);
        run("read timeout 1 h", registry, blob, digest, "bench/long:1", Duration.ofHours(1));
      }
    } finally {
      try (Stream<Path> all = Files.walk(dir)) {
        all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void run(String label, LocalRegistry registry, Path blob, Digest digest, String repo,
      Duration readTimeout) throws IOException {
    RegistryClient.Builder b = RegistryClient.builder().plainHttp(registry.host());
    if (System.getProperty("chunk.mib") != null) b.uploadChunkSize(Long.getLong("chunk.mib") << 20);
    if (readTimeout != null) b.readTimeout(readTimeout);
    long size = Files.size(blob);
    try (RegistryClient client = b.build()) {
      long start = System.nanoTime();
      String outcome;
      try {
        client.pushBlob(ImageReference.parse(registry.host() + "/" + repo), digest, blob);
        outcome = "ok";
      } catch (IOException e) {
        outcome = "FAILED: " + e.getMessage();
      }
      double s = (System.nanoTime() - start) / 1e9;
      System.out.printf(Locale.ROOT, "%-18s %6d MiB in %6.1f s = %6.1f MiB/s  %s%n", label, size >> 20, s,
          size / 1048576.0 / s, outcome);
    }
  }

  private static Digest write(Path file, long size) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    SplittableRandom rnd = new SplittableRandom(42);
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    try (OutputStream out = Files.newOutputStream(file)) {
      for (long left = size; left > 0; ) {
        buf.clear();
        while (buf.remaining() >= 8) buf.putLong(rnd.nextLong());
        int n = (int) Math.min(left, buf.capacity() - buf.remaining());
        out.write(buf.array(), 0, n);
        md.update(buf.array(), 0, n);
        left -= n;
      }
    }
    return Digest.parse("sha256:" + HexFormat.of().formatHex(md.digest()));
  }
}
