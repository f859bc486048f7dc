package io.fastpull.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.blob.ChunkReader;
import io.fastpull.blob.ChunkSource;
import io.fastpull.blob.CountingSource;
import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.BlobSource;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import io.fastpull.format.Privileges;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chunk evicted from the real {@link DirectoryChunkCache} while a file using it is open: the
 * next read through the same descriptor fetches the chunk again and returns the right bytes, with
 * no EIO. Nothing else holds the chunk: decoded-chunk memory and read-ahead are off, and the
 * kernel's page cache of the file is dropped before the second read, so that read reaches FUSE.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EvictionUnderOpenFileTest {
  private static final int CHUNK = 64 << 10;
  private static final int FILLERS = 16;

  @TempDir Path tmp;
  private DirectoryChunkCache cache;
  private ExecutorService pool;
  private ChunkReader reader;
  private MountedLayer mounted;

  @BeforeEach
  void root() {
    Privileges.requireRoot();
  }

  @AfterEach
  void cleanup() throws Exception {
    try {
      if (mounted != null) {
        mounted.close();
      }
    } finally {
      if (reader != null) {
        reader.close();
      }
      if (pool != null) {
        pool.shutdownNow();
      }
      if (cache != null) {
        cache.close();
      }
    }
    String mounts = Files.readString(Path.of("/proc/self/mounts"));
    assertFalse(mounts.contains(tmp.toString()), "mounts left behind:\n" + mounts);
  }

  @Test
  void aChunkEvictedWhileItsFileIsOpenIsFetchedAgainThroughTheSameFd() throws Exception {
    byte[] big = Layers.bytes(4 * CHUNK, 11, false);
    byte[] tar = Layers.tar(w -> {
      Layers.file(w, "big.bin", big);
      for (int i = 0; i < FILLERS; i++) {
        Layers.file(w, "fill/" + i, Layers.bytes(CHUNK, 100 + i, false));
      }
    });
    Path blobFile = tmp.resolve("blob");
    Files.write(blobFile, Layers.blob(tar, LayerWriter.Options.withChunkSize(CHUNK)));
    LayerMeta meta = LayerBlob.open(BlobSource.of(Files.readAllBytes(blobFile))).meta();
    // Room for the four chunks of big.bin and little more: reading the fillers evicts them.
    cache = DirectoryChunkCache.open(tmp.resolve("cache"), 5L * CHUNK, Clock.systemUTC());
    CountingSource source = new CountingSource(ChunkSource.file(blobFile));
    pool = Executors.newCachedThreadPool();
    reader = ChunkReader.open("sha256:evict", source, cache,
        FetchOptions.defaults().withMemoryBytes(0), pool, Clock.systemUTC());
    Path mp = Files.createDirectories(tmp.resolve("mnt"));
    mounted = LayerMounter.mount(mp, meta, reader, MountOptions.defaults().withReadaheadBytes(0));

    List<ChunkInfo> bigChunks = new ArrayList<>();
    for (int c : meta.fileChunks(meta.lookup("big.bin").orElseThrow().ino())) {
      bigChunks.add(meta.chunk(c));
    }
    assertEquals(4, bigChunks.size());

    Path file = mp.resolve("big.bin");
    try (FileChannel fd = FileChannel.open(file, StandardOpenOption.READ)) {
      assertArrayEquals(big, readAll(fd), "first read");
      assertTrue(bigChunks.stream().allMatch(cache::contains), "big.bin's chunks are cached");

      for (int i = 0; i < FILLERS; i++) {
        assertArrayEquals(Layers.bytes(CHUNK, 100 + i, false),
            Files.readAllBytes(mp.resolve("fill/" + i)));
      }
      assertTrue(bigChunks.stream().noneMatch(cache::contains),
          "filling the cache evicted big.bin's chunks: " + cache.stats());
      dropPageCache(file);
      source.reset();

      assertArrayEquals(big, readAll(fd), "read through the same fd after eviction");
      long fetched = source.requests().size();
      assertTrue(fetched >= 1, "the evicted chunks came from the source again");
      // And a read from the middle of the second chunk, also through that fd.
      ByteBuffer mid = ByteBuffer.allocate(1000);
      assertEquals(1000, fd.read(mid, CHUNK + 12345));
      assertArrayEquals(java.util.Arrays.copyOfRange(big, CHUNK + 12345, CHUNK + 13345),
          mid.array());
    }
  }

  private static byte[] readAll(FileChannel fd) throws IOException {
    ByteBuffer b = ByteBuffer.allocate((int) fd.size());
    long at = 0;
    while (b.hasRemaining()) {
      int n = fd.read(b, at);
      if (n < 0) {
        break;
      }
      at += n;
    }
    return b.array();
  }

  /**
   * Drops the file's pages from the kernel's page cache (the mount uses {@code kernel_cache}), as
   * GNU dd documents: {@code iflag=nocache count=0} advises the whole file as not needed.
   */
  private static void dropPageCache(Path file) throws IOException, InterruptedException {
    TestLayers.run("dd", "if=" + file, "iflag=nocache", "count=0", "status=none");
  }
}
