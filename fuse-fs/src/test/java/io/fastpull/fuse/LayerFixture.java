package io.fastpull.fuse;

import io.fastpull.blob.ChunkReader;
import io.fastpull.blob.ChunkSource;
import io.fastpull.blob.CountingSource;
import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.ChunkCache;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.BlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One layer blob on disk, its reader over a counting file source, and its mount. Mounts use the
 * product's chunk cache, a {@link DirectoryChunkCache} in a directory of the test's; a test that
 * injects a cache fault passes its own cache instead.
 */
final class LayerFixture implements AutoCloseable {
  final Path blobFile;
  final LayerMeta meta;
  final CountingSource source;
  final ChunkReader reader;
  final ChunkCache cache;
  private final ExecutorService pool;
  private final boolean ownsCache;
  private MountedLayer mounted;

  /** A layer whose chunks are cached in a directory cache of {@code capacity} in {@code cacheDir}. */
  LayerFixture(Path blobFile, Path cacheDir, long capacity, FetchOptions options)
      throws IOException {
    this(blobFile, DirectoryChunkCache.open(cacheDir, capacity, Clock.systemUTC()), options, true);
  }

  /** A layer over {@code cache}, which the caller closes. */
  LayerFixture(Path blobFile, ChunkCache cache, FetchOptions options) throws IOException {
    this(blobFile, cache, options, false);
  }

  private LayerFixture(Path blobFile, ChunkCache cache, FetchOptions options, boolean ownsCache)
      throws IOException {
    this.cache = cache;
    this.ownsCache = ownsCache;
    this.blobFile = blobFile;
    this.meta = LayerBlob.open(BlobSource.of(Files.readAllBytes(blobFile))).meta();
    this.source = new CountingSource(ChunkSource.file(blobFile));
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fetch-" + blobFile.getFileName());
      t.setDaemon(true);
      return t;
    });
    this.reader = ChunkReader.open("sha256:" + blobFile.getFileName(), source, cache, options,
        pool, Clock.systemUTC());
  }

  /** Writes the blob of {@code tar} at {@code chunk} bytes per chunk to {@code file}. */
  static Path writeBlob(Path file, byte[] tar, int chunk) throws IOException {
    Files.write(file, Layers.blob(tar, LayerWriter.Options.withChunkSize(chunk)));
    return file;
  }

  Path mount(Path mountpoint) throws IOException {
    if (Files.notExists(mountpoint)) { // a stale mount point cannot even be stat'ed
      Files.createDirectories(mountpoint);
    }
    mounted = LayerMounter.mount(mountpoint, meta, reader, MountOptions.defaults());
    return mountpoint;
  }

  @Override
  public void close() throws IOException {
    try {
      if (mounted != null) {
        mounted.close();
      }
    } finally {
      try {
        reader.close();
        pool.shutdownNow();
      } finally {
        if (ownsCache) {
          cache.close();
        }
      }
    }
  }
}
