package io.fastpull.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.blob.ChunkReader;
import io.fastpull.blob.ChunkSource;
import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.BlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The filesystem logic without a mount: paths, errno answers, reads across chunk bounds. */
class LayerFsTest {
  @TempDir Path tmp;
  private ExecutorService pool;
  private ChunkReader reader;
  private DirectoryChunkCache cache;

  @BeforeEach
  void pool() {
    pool = Executors.newCachedThreadPool();
  }

  @AfterEach
  void close() throws Exception {
    if (reader != null) {
      reader.close();
    }
    if (cache != null) {
      cache.close();
    }
    pool.shutdownNow();
  }

  LayerFs fs(int chunk) throws Exception {
    byte[] tar = TestLayers.rich(chunk);
    byte[] blob = Layers.blob(tar, LayerWriter.Options.withChunkSize(chunk));
    Path file = Files.write(tmp.resolve("blob"), blob);
    LayerMeta meta = LayerBlob.open(BlobSource.of(blob)).meta();
    cache = DirectoryChunkCache.open(tmp.resolve("cache"), 1 << 30, Clock.systemUTC());
    reader = ChunkReader.open("sha256:t", ChunkSource.file(file), cache,
        FetchOptions.defaults(), pool, Clock.systemUTC());
    return new LayerFs("sha256:t", meta, reader, 1 << 20);
  }

  @ParameterizedTest
  @ValueSource(ints = {4096, 1 << 20})
  void answers(int chunk) throws Exception {
    LayerFs fs = fs(chunk);
    assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.ino("/nope/x")).errno());
    int etc = fs.ino("/etc");
    assertEquals(Errno.EISDIR, assertThrows(FsException.class,
        () -> fs.read(etc, 0, new byte[10], 10)).errno());
    int host = fs.ino("/etc/hostname");
    assertEquals(Errno.ENOTDIR, assertThrows(FsException.class, () -> fs.list(host)).errno());
    assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> fs.readlink(host)).errno());
    assertEquals(Errno.EROFS, assertThrows(FsException.class, () -> fs.open(host, true))
        .errno());
    assertEquals(Errno.ENODATA, assertThrows(FsException.class,
        () -> fs.xattr(host, "user.x")).errno());
    assertArrayEquals("f1".getBytes(StandardCharsets.UTF_8),
        fs.readlink(fs.ino("/data/rel-link")));
    int owned = fs.ino("/data/owned");
    assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), fs.xattr(owned, "user.comment"));
    // An empty value is a value (size 0), not an absent attribute (ENODATA).
    assertArrayEquals(new byte[0], fs.xattr(owned, "user.empty"));
    assertArrayEquals("security.capability\0trusted.bin\0user.comment\0user.empty\0"
        .getBytes(StandardCharsets.UTF_8),
        fs.xattrList(owned));
    assertEquals(fs.ino("/data/f1"), fs.ino("/data/hard"));
    assertEquals(fs.ino("/long/ünïcödé-名前-😀.txt"), fs.lookup("/long/ünïcödé-名前-😀.txt")
        .orElseThrow().ino());

    byte[] want = Layers.bytes(3 * chunk + 5, 3 * chunk + 5, (3 * chunk + 5) % 2 == 0);
    int big = fs.ino("/data/f" + (3 * chunk + 5));
    byte[] buf = new byte[want.length + 100];
    for (long off : new long[] {0, 1, chunk - 1, chunk, 2L * chunk + 3, want.length - 1}) {
      int n = fs.read(big, off, buf, buf.length);
      assertEquals(want.length - off, n);
      assertArrayEquals(java.util.Arrays.copyOfRange(want, (int) off, want.length),
          java.util.Arrays.copyOf(buf, n));
    }
    assertEquals(0, fs.read(big, want.length, buf, 10));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1 << 20})
  void readaheadFollowsSequentialReaders(long window) {
    Readahead r = new Readahead(window);
    long[] first = r.onRead(7, 0, 131072, 100L << 20);
    if (window == 0) {
      assertNull(first);
      return;
    }
    assertNotNull(first);
    assertEquals(131072, first[0]);
    assertEquals(131072 + window, first[1]);
    assertNull(r.onRead(7, 131072, 131072, 100L << 20), "window still ahead");
    long[] later = null;
    for (long off = 262144; later == null && off < (4L << 20); off += 131072) {
      later = r.onRead(7, off, 131072, 100L << 20);
    }
    assertNotNull(later);
    assertEquals(first[1], later[0]);
    assertNull(r.onRead(9, 50L << 20, 4096, 100L << 20), "a random read fetches nothing ahead");
  }

  @org.junit.jupiter.api.Test
  void makedevMatchesGlibc() {
    assertEquals(0x0103L, JnrFuseMount.makedev(1, 3));
    assertEquals((259L << 8) | (300000L & 0xff) | ((300000L & ~0xffL) << 12),
        JnrFuseMount.makedev(259, 300000));
    assertTrue(JnrFuseMount.makedev(0, 0) == 0);
  }
}
