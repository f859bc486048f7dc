package io.fastpull.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.LazyLayer;
import io.fastpull.format.Privileges;
import io.fastpull.fuse.MountOptions;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.LocalRegistry;
import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Offsets past 2^32 end to end, over Debian's registry: a file larger than 4 GiB in a lazy layer,
 * read through the daemon's FUSE mounter at 4 GiB - 1, 4 GiB, 4 GiB + 1 and near its end; and a
 * blob larger than 4 GiB read by range through the registry client and {@link
 * RegistryChunkSource}, so the Range header carries offsets past 2^32.
 *
 * <p>Every MiB of the data starts with its own offset as 8 big-endian bytes (the rest is zeros):
 * chunks stay distinct (dedup cannot collapse them), the lazy blob stays under a megabyte, and a
 * read served from the wrong place (an offset cut to 32 bits) shows.
 *
 * <p>Bounds: the big blob is not uploaded. The test pushes a small blob and then extends the
 * registry's stored file to 4 GiB + 1 MiB as a sparse file with stamps near 2^32 and at the end;
 * the registry serves a blob's size and ranges from that file (no descriptor cache is configured),
 * so the ranges past 2^32 are real while the disk holds a few KiB. The blob's digest no longer
 * matches its bytes, which range reads do not check (the chunk reader checks chunk digests).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class PastFourGibTest {
  private static final long GIB4 = 1L << 32;
  private static final long FILE_SIZE = GIB4 + (3L << 20) + 12345;

  @TempDir Path dir;
  private LocalRegistry registry;
  private RegistryClient client;
  private DirectoryChunkCache cache;
  private ExecutorService executor;
  private FuseLayerMounter mounter;
  private Path mountpoint;

  @BeforeEach
  void start() throws Exception {
    Privileges.requireRoot();
    registry = LocalRegistry.builder(dir.resolve("registry")).start();
    client = RegistryClient.builder().plainHttp(registry.host())
        .readTimeout(Duration.ofSeconds(20)).build();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (mounter != null && mountpoint != null) {
        mounter.unmount(mountpoint);
      }
    } finally {
      if (executor != null) {
        executor.shutdownNow();
      }
      if (cache != null) {
        cache.close();
      }
      client.close();
      registry.close();
    }
  }

  /** The byte at {@code p} of the stamped data. */
  static int byteAt(long p) {
    long base = p & ~((1L << 20) - 1);
    long k = p - base;
    return k < 8 ? (int) ((base >>> (8 * (7 - k))) & 0xff) : 0;
  }

  /** {@code size} bytes of stamped data, generated as read. */
  static final class Stamped extends InputStream {
    private final long size;
    private long pos;

    Stamped(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      return pos < size ? byteAt(pos++) : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - pos);
      Arrays.fill(b, off, off + n, (byte) 0);
      for (long mib = pos & ~((1L << 20) - 1); mib < pos + n; mib += 1L << 20) {
        for (int k = 0; k < 8; k++) {
          long p = mib + k;
          if (p >= pos && p < pos + n) {
            b[off + (int) (p - pos)] = (byte) byteAt(p);
          }
        }
      }
      pos += n;
      return n;
    }
  }

  private static byte[] expected(long offset, int length) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) byteAt(offset + i);
    }
    return b;
  }

  @Test
  void aFileOverFourGibReadsRightThroughFuseFromTheRegistry() throws Exception {
    // The layer tar streams from a generator into the writer; only the small blob is kept.
    PipedInputStream tar = new PipedInputStream(1 << 20);
    PipedOutputStream pipe = new PipedOutputStream(tar);
    CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
      try (pipe; TarWriter w = new TarWriter(pipe)) {
        w.add(TarHeader.of("huge.bin", TarEntryType.FILE, 0644, 0, 0, FILE_SIZE, 1_700_000_000L),
            new Stamped(FILE_SIZE));
        w.add(TarHeader.of("small.txt", TarEntryType.FILE, 0644, 0, 0, 3, 1_700_000_000L),
            new ByteArrayInputStream(new byte[] {'h', 'i', '\n'}));
        w.finish();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerWriter.Result r;
    try (tar) {
      r = new LayerWriter(LayerWriter.Options.defaults()).write(tar, out);
    }
    producer.get(60, TimeUnit.SECONDS);
    byte[] blob = out.toByteArray();
    System.out.printf("file of %d bytes -> lazy blob of %d bytes, %d chunks%n", FILE_SIZE,
        blob.length, r.chunks());
    assertTrue(blob.length < 4 << 20, "blob of " + blob.length + " bytes");

    ImageReference repo = ImageReference.parse(registry.host() + "/big/layer:1");
    Digest digest = client.pushBlob(repo, blob);
    cache = DirectoryChunkCache.open(dir.resolve("cache"), 64L << 20, Clock.systemUTC());
    executor = Executors.newCachedThreadPool();
    mounter = new FuseLayerMounter(client, cache, FetchOptions.defaults(), MountOptions.defaults(),
        executor, Clock.systemUTC(), dir.resolve("state"));
    mountpoint = Files.createDirectories(dir.resolve("mnt"));
    mounter.mount("big", Map.of(
        LazyLayerResolver.LABEL_REPO, registry.host() + "/big/layer",
        LazyLayer.LABEL_BLOB, digest.toString(),
        LazyLayer.LABEL_META, LazyLayer.metaLabel(r.footer())), mountpoint).orElseThrow();

    Path huge = mountpoint.resolve("huge.bin");
    assertEquals(FILE_SIZE, Files.size(huge));
    try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "r")) {
      long[] offsets = {GIB4 - 1, GIB4, GIB4 + 1, GIB4 - 8, GIB4 + (1L << 20) - 4,
          FILE_SIZE - 16, (2L << 30) - 3};
      for (long at : offsets) {
        byte[] got = new byte[16];
        f.seek(at);
        f.readFully(got);
        assertArrayEquals(expected(at, 16), got, "16 bytes at " + at);
      }
      // The last byte, and reading past the end gives EOF, not an error.
      f.seek(FILE_SIZE - 1);
      assertEquals(byteAt(FILE_SIZE - 1), f.read());
      assertEquals(-1, f.read());
    }
    assertArrayEquals(new byte[] {'h', 'i', '\n'}, Files.readAllBytes(mountpoint.resolve("small.txt")));
  }

  @Test
  void rangeReadsOfABlobOverFourGibCarryOffsetsPastTwoToThe32() throws Exception {
    ImageReference repo = ImageReference.parse(registry.host() + "/big/blob:1");
    byte[] head = new byte[4096];
    Arrays.fill(head, (byte) 0x5a);
    Digest digest = client.pushBlob(repo, head);
    long size = GIB4 + (1L << 20);
    Path data = registry.blobDataFile(digest.toString());
    long[] stamped = {GIB4 - 8, GIB4, GIB4 + 8, size - 16, size - 8};
    try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
      f.setLength(size);
      for (long at : stamped) {
        f.seek(at);
        f.write(ByteBuffer.allocate(8).putLong(at).array());
      }
    }
    assertEquals(size, client.statBlob(repo, digest).orElseThrow().size(),
        "the registry serves the extended file");

    byte[] across = client.readBlobRange(repo, digest, GIB4 - 8, 24);
    assertArrayEquals(longs(GIB4 - 8, GIB4, GIB4 + 8), across);
    byte[] tail = client.readBlobRange(repo, digest, size - 16, 16);
    assertArrayEquals(longs(size - 16, size - 8), tail);

    // The daemon's source over the same client: the read path chunk fetches use.
    RegistryChunkSource source = new RegistryChunkSource(client, repo, digest, size);
    byte[] dst = new byte[40];
    source.read(GIB4, dst, 4, 16);
    assertArrayEquals(longs(GIB4, GIB4 + 8), Arrays.copyOfRange(dst, 4, 20));
    // Zeros between the stamps, and the pushed bytes still at offset 0 (a cut offset would land
    // there).
    assertArrayEquals(new byte[64], client.readBlobRange(repo, digest, GIB4 + (64 << 10), 64));
    assertArrayEquals(Arrays.copyOf(head, 16), client.readBlobRange(repo, digest, 0, 16));
  }

  private static byte[] longs(long... values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length);
    for (long v : values) {
      b.putLong(v);
    }
    return b.array();
  }
}
