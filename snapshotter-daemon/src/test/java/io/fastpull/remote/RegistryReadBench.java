package io.fastpull.remote;

import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.LazyLayer;
import io.fastpull.fuse.MountOptions;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.LocalRegistry;
import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Benchmark (not a test): cold sequential read of a large incompressible file through a lazy
 * layer mounted over the loopback registry, against the same file on the local disk, page cache
 * dropped before each read. Run as root:
 *
 * <pre>
 * mvn -B -ntp -o -q -pl snapshotter-daemon test-compile dependency:build-classpath \
 *   -Dmdep.outputFile=/tmp/daemon.cp -Dmdep.includeScope=test
 * java -Dfile.encoding=UTF-8 -cp snapshotter-daemon/target/test-classes:snapshotter-daemon/target/classes:$(cat /tmp/daemon.cp) \
 *   io.fastpull.remote.RegistryReadBench /var/tmp/fastpull-rbench 512
 * </pre>
 */
public final class RegistryReadBench {
  private RegistryReadBench() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : "/var/tmp/fastpull-rbench");
    long mib = args.length > 1 ? Long.parseLong(args[1]) : 512;
    long size = mib << 20;
    Files.createDirectories(dir);
    Path local = dir.resolve("local.bin");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(local), 1 << 20)) {
      random(size).transferTo(out);
    }
    Path tar = dir.resolve("layer.tar");
    try (TarWriter w = new TarWriter(new BufferedOutputStream(Files.newOutputStream(tar), 1 << 20));
        InputStream data = Files.newInputStream(local)) {
      w.add(TarHeader.of("big.bin", TarEntryType.FILE, 0644, 0, 0, size, 1_700_000_000L), data);
      w.finish();
    }
    Path blob = dir.resolve("layer.blob");
    LayerWriter.Result r;
    try (InputStream in = Files.newInputStream(tar);
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(blob), 1 << 20)) {
      r = new LayerWriter(LayerWriter.Options.defaults()).write(in, out);
    }
    try (LocalRegistry registry = LocalRegistry.builder(dir.resolve("registry")).start();
        RegistryClient client = RegistryClient.builder().plainHttp(registry.host()).build()) {
      ImageReference repo = ImageReference.parse(registry.host() + "/bench/layer:1");
      Digest digest = Digest.parse(r.blobDigest());
      client.pushBlob(repo, digest, blob);
      for (int round = 0; round < 2; round++) {
        Path cacheDir = dir.resolve("cache" + round);
        ExecutorService executor = Executors.newCachedThreadPool();
        try (DirectoryChunkCache cache = DirectoryChunkCache.open(cacheDir, 4L << 30,
            Clock.systemUTC())) {
          FuseLayerMounter mounter = new FuseLayerMounter(client, cache, FetchOptions.defaults(),
              MountOptions.defaults(), executor, Clock.systemUTC(), dir.resolve("state" + round));
          Path mp = Files.createDirectories(dir.resolve("mnt"));
          mounter.mount("bench", Map.of(LazyLayerResolver.LABEL_REPO,
              registry.host() + "/bench/layer", LazyLayer.LABEL_BLOB, digest.toString(),
              LazyLayer.LABEL_META, LazyLayer.metaLabel(r.footer())), mp).orElseThrow();
          try {
            double disk = timedRead(local);
            double cold = timedRead(mp.resolve("big.bin"));
            double warm = timedRead(mp.resolve("big.bin"));
            System.out.printf("round %d: %d MiB  local disk %.2f s (%.0f MiB/s)  "
                    + "lazy cold from loopback registry %.2f s (%.0f MiB/s, %.2fx disk)  "
                    + "lazy warm from chunk cache %.2f s (%.0f MiB/s, %.2fx disk)%n", round, mib,
                disk, mib / disk, cold, mib / cold, cold / disk, warm, mib / warm, warm / disk);
          } finally {
            mounter.unmount(mp);
          }
        } finally {
          executor.shutdownNow();
        }
      }
    }
  }

  static InputStream random(long size) {
    SplittableRandom rnd = new SplittableRandom(1);
    return new InputStream() {
      long left = size;

      @Override
      public int read() {
        return left-- > 0 ? rnd.nextInt(256) : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        for (int i = 0; i < n; i++) {
          b[off + i] = (byte) rnd.nextInt(256);
        }
        left -= n;
        return n;
      }
    };
  }

  static double timedRead(Path p) throws IOException, InterruptedException {
    new ProcessBuilder("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches").inheritIO().start()
        .waitFor();
    long t = System.nanoTime();
    Process cat = new ProcessBuilder("cat", p.toString())
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).inheritIO()
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (cat.waitFor() != 0) {
      throw new IOException("cat " + p + " failed");
    }
    return (System.nanoTime() - t) / 1e9;
  }
}
