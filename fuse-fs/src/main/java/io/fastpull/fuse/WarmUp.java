package io.fastpull.fuse;

import io.fastpull.blob.ChunkReader;
import io.fastpull.blob.ChunkSource;
import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.BlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.time.Clock;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * Serves a small generated layer through a real mount a few thousand times, so that the code a
 * container's first reads run through (libfuse's callbacks into the JVM, path lookup, attribute
 * fill, chunk reads, the cache) is compiled before the first container needs it instead of
 * being interpreted and compiled while it waits. What a long-running daemon has anyway after its
 * first images; a daemon that has just started pays it here, in the background.
 *
 * <p>Everything lives under a scratch directory that is removed afterwards (and cleared first,
 * in case a crash left it behind).
 */
final class WarmUp {
  /** Enough distinct files that the hot callbacks pass the JIT's compile thresholds. */
  static final int FILES = 1500;
  private static final int DIRS = 30;

  private WarmUp() {}

  /** @param stop polled between directories: true ends the warm-up early, cleaned up */
  static void run(Path scratch, BooleanSupplier stop) throws IOException {
    clear(scratch);
    Files.createDirectories(scratch);
    ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "fastpull-warm-up-fetch");
      t.setDaemon(true);
      return t;
    });
    try {
      Path blob = scratch.resolve("layer.blob");
      byte[] bytes = blob();
      Files.write(blob, bytes);
      LayerMeta meta = LayerBlob.open(BlobSource.of(bytes)).meta();
      try (DirectoryChunkCache cache = DirectoryChunkCache.open(scratch.resolve("cache"),
              64L << 20, Clock.systemUTC());
          ChunkReader reader = ChunkReader.open("warm-up", ChunkSource.file(blob), cache,
              FetchOptions.defaults(), pool, Clock.systemUTC());
          MountedLayer m = LayerMounter.mount(Files.createDirectories(scratch.resolve("mnt")),
              meta, reader, MountOptions.defaults())) {
        exercise(m.mountpoint(), stop);
      }
    } finally {
      pool.shutdownNow();
      clear(scratch);
    }
  }

  /** Lists, stats, reads and follows every entry once: each is a distinct kernel request. */
  private static void exercise(Path root, BooleanSupplier stop) throws IOException {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
      for (Path dir : dirs) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        if (stop.getAsBoolean()) {
          return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
          for (Path f : files) {
            PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
              Files.readSymbolicLink(f);
            } else if (a.isRegularFile()) {
              Files.readAllBytes(f);
            }
          }
        }
        Files.exists(dir.resolve("absent"), LinkOption.NOFOLLOW_LINKS);
      }
    }
  }

  /** A layer of small text files, a few symlinks and one multi-chunk file, as a lazy blob. */
  private static byte[] blob() throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    try (TarWriter w = new TarWriter(tar)) {
      long t = 1_700_000_000L;
      for (int d = 0; d < DIRS; d++) {
        w.add(header("d" + d + "/", TarEntryType.DIRECTORY, 0755, 0, t, ""), null);
        for (int f = d; f < FILES; f += DIRS) {
          byte[] body = ("warm-up file " + f + "\n").repeat(1 + f % 200)
              .getBytes(StandardCharsets.UTF_8);
          w.add(header("d" + d + "/f" + f, TarEntryType.FILE, 0644, body.length, t, ""),
              new ByteArrayInputStream(body));
        }
        w.add(header("d" + d + "/link", TarEntryType.SYMLINK, 0777, 0, t, "f" + d), null);
      }
      w.add(header("big/", TarEntryType.DIRECTORY, 0755, 0, t, ""), null);
      byte[] big = "0123456789abcdef".repeat(1 << 18).getBytes(StandardCharsets.UTF_8);
      w.add(header("big/data", TarEntryType.FILE, 0644, big.length, t, ""),
          new ByteArrayInputStream(big));
      w.finish();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new LayerWriter(LayerWriter.Options.defaults())
        .write(new ByteArrayInputStream(tar.toByteArray()), out);
    return out.toByteArray();
  }

  private static TarHeader header(String name, TarEntryType type, int mode, long size, long t,
      String link) {
    return new TarHeader(name, type, mode, 0, 0, size, t, 0, link, 0, 0, Map.of());
  }

  private static void clear(Path scratch) throws IOException {
    Path mnt = scratch.resolve("mnt");
    LayerMounter.clearStale(mnt);
    if (Files.exists(scratch)) {
      try (var walk = Files.walk(scratch)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
