package io.fastpull.fuse;

import io.fastpull.blob.ChunkReader;
import io.fastpull.blob.ChunkSource;
import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.BlobSource;
import io.fastpull.format.ChunkCodec;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.FileBlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarWriter;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
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
 * Benchmarks (not tests): cold and warm reads of a big file and a metadata walk over 100,000
 * files, through a mount vs. the same tree on local disk, with the page cache dropped; and the
 * per-chunk cost of the two chunk cache forms. Run as root:
 *
 * <pre>
 * mvn -B -ntp -o -q -pl fuse-fs test-compile dependency:build-classpath \
 *     -Dmdep.outputFile=/tmp/fuse-fs.cp -Dmdep.includeScope=test
 * java -Xmx4g -Dfile.encoding=UTF-8 -cp fuse-fs/target/test-classes:fuse-fs/target/classes:$(cat \
 *     /tmp/fuse-fs.cp) io.fastpull.fuse.MountBench /var/tmp/fastpull-bench [fileMiB] [files]
 * </pre>
 */
public final class MountBench {
  private MountBench() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args.length > 0 ? args[0] : "/var/tmp/fastpull-bench");
    int mib = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    int files = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    TestLayers.run("rm", "-rf", root.toString());
    Files.createDirectories(root);
    ExecutorService pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "bench-fetch");
      t.setDaemon(true);
      return t;
    });
    try {
      bigFile(root, mib, pool);
      manyFiles(root, files, pool);
    } finally {
      pool.shutdownNow();
      TestLayers.run("rm", "-rf", root.toString());
    }
  }

  static void bigFile(Path root, int mib, ExecutorService pool) throws Exception {
    Path tar = root.resolve("big.tar");
    long size = (long) mib << 20;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 20);
        TarWriter w = new TarWriter(out)) {
      w.add(new TarHeader("big", TarEntryType.FILE, 0644, 0, 0, size, 1_650_000_000L, 0, "", 0,
          0, Map.of()), mixed(size));
      w.finish();
    }
    Path blob = convert(tar, root.resolve("big.blob"), 1 << 20);
    Path local = Files.createDirectories(root.resolve("big-local"));
    TestLayers.run("tar", "-x", "-f", tar.toString(), "-C", local.toString());
    Files.delete(tar);
    LayerMeta meta;
    try (FileBlobSource s = BlobSource.open(blob)) {
      meta = LayerBlob.open(s).meta();
    }
    System.out.printf("big file: %d MiB, blob %d MiB (chunk data %.0f%% of file)%n", mib,
        Files.size(blob) >> 20, 100.0 * meta.chunkDataSize() / size);

    Path cacheDir = root.resolve("cache");
    double cold;
    double warm;
    double disk;
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(cacheDir, 4L << 30,
        Clock.systemUTC())) {
      cold = timedRead(root, "mnt-cold", blob, meta, cache, pool, "big");
      // Cache writes run behind the reads; let them land before the warm run.
      while (cache.stats().entries() < meta.chunkCount()) {
        Thread.sleep(50);
      }
    }
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(cacheDir, 4L << 30,
        Clock.systemUTC())) {
      warm = timedRead(root, "mnt-warm", blob, meta, cache, pool, "big");
    }
    dropCaches();
    long t0 = System.nanoTime();
    TestLayers.run("sh", "-c", "cat " + local.resolve("big") + " > /dev/null");
    disk = seconds(t0);
    System.out.printf("cold read via mount, local-file source: %.2f s (%.0f MiB/s)%n", cold,
        mib / cold);
    System.out.printf("warm read via mount from chunk cache:   %.2f s (%.0f MiB/s)%n", warm,
        mib / warm);
    System.out.printf("local disk read:                        %.2f s (%.0f MiB/s)%n", disk,
        mib / disk);
    System.out.printf("ratios vs local disk: cold %.2fx, warm %.2fx%n", cold / disk, warm / disk);
    cacheForms(blob, meta, cacheDir);
  }

  /** Reads {@code file} with cat through a fresh mount, page cache dropped first. */
  static double timedRead(Path root, String name, Path blob, LayerMeta meta,
      DirectoryChunkCache cache, ExecutorService pool, String file) throws Exception {
    try (ChunkReader reader = ChunkReader.open("sha256:bench", ChunkSource.file(blob), cache,
        FetchOptions.defaults(), pool, Clock.systemUTC());
        MountedLayer m = LayerMounter.mount(Files.createDirectories(root.resolve(name)), meta,
            reader, MountOptions.defaults())) {
      dropCaches();
      long t0 = System.nanoTime();
      TestLayers.run("sh", "-c", "cat " + m.mountpoint().resolve(file) + " > /dev/null");
      return seconds(t0);
    }
  }

  /** Per-chunk CPU cost of serving a cache hit from each stored form (files in page cache). */
  static void cacheForms(Path blob, LayerMeta meta, Path cacheDir) throws IOException {
    byte[] stored = Files.readAllBytes(blob);
    long dec = 0;
    long raw = 0;
    for (int round = 0; round < 3; round++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < meta.chunkCount(); i++) {
        ChunkInfo c = meta.chunk(i);
        byte[] one = java.util.Arrays.copyOfRange(stored, (int) c.compressedOffset(),
            (int) c.compressedEnd());
        ChunkCodec.decode(c, one, 0);
      }
      dec = System.nanoTime() - t0;
      t0 = System.nanoTime();
      for (int i = 0; i < meta.chunkCount(); i++) {
        ChunkInfo c = meta.chunk(i);
        String hex = c.digestHex();
        ChunkCodec.verify(c, Files.readAllBytes(cacheDir.resolve(hex.substring(0, 2))
            .resolve(hex)));
      }
      raw = System.nanoTime() - t0;
    }
    long bytes = (long) meta.chunkCount() * meta.chunkSize();
    System.out.printf("cache hit cost per MiB: decompressed form (read+sha256) %.2f ms, "
        + "compressed form (zstd decode+sha256, bytes in memory) %.2f ms; compressed form "
        + "saves %.0f%% disk on this data%n", raw / 1e6 / (bytes >> 20), dec / 1e6 / (bytes >> 20),
        100 - 100.0 * meta.chunkDataSize() / bytes);
  }

  static void manyFiles(Path root, int count, ExecutorService pool) throws Exception {
    Path tar = root.resolve("many.tar");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar), 1 << 20);
        TarWriter w = new TarWriter(out)) {
      for (int d = 0; d < (count + 999) / 1000; d++) {
        w.add(TarHeader.of("d" + d + "/", TarEntryType.DIRECTORY, 0755, 0, 0, 0, 1_600_000_000L),
            null);
        for (int f = d * 1000; f < Math.min(count, (d + 1) * 1000); f++) {
          byte[] b = ("file " + f + "\n").getBytes();
          w.add(new TarHeader("d" + d + "/f" + f, TarEntryType.FILE, 0644, 0, 0, b.length,
              1_650_000_000L, 0, "", 0, 0, Map.of()), new ByteArrayInputStream(b));
        }
      }
      w.finish();
    }
    Path blob = convert(tar, root.resolve("many.blob"), 1 << 20);
    Path local = Files.createDirectories(root.resolve("many-local"));
    TestLayers.run("tar", "-x", "-f", tar.toString(), "-C", local.toString());
    LayerMeta meta;
    try (FileBlobSource s = BlobSource.open(blob)) {
      meta = LayerBlob.open(s).meta();
    }
    String walk = "find %s -printf '%%i %%s %%m %%U %%T@\\n' | wc -l";
    double fuse;
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(root.resolve("cache2"), 1L << 30,
        Clock.systemUTC());
        ChunkReader reader = ChunkReader.open("sha256:many", ChunkSource.file(blob), cache,
            FetchOptions.defaults(), pool, Clock.systemUTC());
        MountedLayer m = LayerMounter.mount(Files.createDirectories(root.resolve("mnt-many")),
            meta, reader, MountOptions.defaults())) {
      dropCaches();
      long t0 = System.nanoTime();
      String n = TestLayers.run("sh", "-c", String.format(walk, m.mountpoint())).strip();
      fuse = seconds(t0);
      System.out.printf("find+stat over %s entries via mount: %.2f s%n", n, fuse);
    }
    dropCaches();
    long t0 = System.nanoTime();
    String n = TestLayers.run("sh", "-c", String.format(walk, local)).strip();
    double disk = seconds(t0);
    System.out.printf("find+stat over %s entries on local disk: %.2f s; ratio %.2fx%n", n, disk,
        fuse / disk);
  }

  static Path convert(Path tar, Path blob, int chunk) throws IOException {
    try (InputStream in = Files.newInputStream(tar);
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(blob), 1 << 20)) {
      new LayerWriter(LayerWriter.Options.withChunkSize(chunk)).write(in, out);
    }
    return blob;
  }

  /** Half random, half text-like 64 KiB blocks: compresses to roughly half. */
  static InputStream mixed(long size) {
    return new InputStream() {
      private final SplittableRandom r = new SplittableRandom(1);
      private final byte[] block = new byte[64 << 10];
      private long pos;
      private int at = block.length;

      @Override
      public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (pos >= size) {
          return -1;
        }
        if (at == block.length) {
          boolean random = r.nextBoolean();
          for (int i = 0; i < block.length; i++) {
            block[i] = random ? (byte) r.nextInt() : (byte) ("lazy layer text "
                .charAt(i % 16) + (i % 251 == 0 ? r.nextInt(3) : 0));
          }
          at = 0;
        }
        int n = (int) Math.min(Math.min(len, block.length - at), size - pos);
        System.arraycopy(block, at, b, off, n);
        at += n;
        pos += n;
        return n;
      }
    };
  }

  static void dropCaches() throws IOException, InterruptedException {
    TestLayers.run("sync");
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
  }

  static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
