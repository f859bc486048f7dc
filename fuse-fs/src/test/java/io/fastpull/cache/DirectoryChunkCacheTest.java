package io.fastpull.cache;

import static io.fastpull.cache.TestChunks.bytes;
import static io.fastpull.cache.TestChunks.chunk;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.ChunkInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectoryChunkCacheTest extends ChunkCacheContract {
  @TempDir Path dir;
  private int opened;

  /** A clock the test moves by hand. */
  static final class StepClock extends Clock {
    Instant now = Instant.parse("2024-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Override
  ChunkCache create(long capacity) throws Exception {
    return DirectoryChunkCache.open(dir.resolve("c" + opened++), capacity, Clock.systemUTC());
  }

  @Override
  void damage(ChunkCache cache, ChunkInfo chunk) throws Exception {
    Path p = ((DirectoryChunkCache) cache).pathOf(chunk.digestHex());
    byte[] b = Files.readAllBytes(p);
    b[b.length / 2] ^= 1;
    Files.write(p, b);
  }

  @Test
  void layoutIsShardedByDigest() throws Exception {
    DirectoryChunkCache cache = DirectoryChunkCache.open(dir, 1 << 20, Clock.systemUTC());
    byte[] d = bytes(CHUNK, 1);
    ChunkInfo c = chunk(0, d);
    cache.put(c, d);
    String hex = c.digestHex();
    assertArrayEquals(d, Files.readAllBytes(dir.resolve(hex.substring(0, 2)).resolve(hex)));
    assertEquals(0, count(dir.resolve("wip")));
    cache.close();
  }

  @Test
  void entriesSurviveReopenWithTheirLruOrder() throws Exception {
    StepClock clock = new StepClock();
    ChunkInfo[] cs = new ChunkInfo[3];
    byte[][] ds = new byte[3][];
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(dir, 3L * CHUNK, clock)) {
      for (int i = 0; i < 3; i++) {
        ds[i] = bytes(CHUNK, 10 + i);
        cs[i] = chunk(i, ds[i]);
        clock.now = clock.now.plusSeconds(10);
        cache.put(cs[i], ds[i]);
      }
      clock.now = clock.now.plusSeconds(10);
      cache.get(cs[0]).orElseThrow(); // 0 is now the most recent; 1 the eldest
    }
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(dir, 3L * CHUNK, clock)) {
      assertEquals(3, cache.stats().entries());
      assertEquals(3L * CHUNK, cache.stats().sizeBytes());
      assertArrayEquals(ds[2], cache.get(cs[2]).orElseThrow());
      byte[] d = bytes(CHUNK, 99);
      clock.now = clock.now.plusSeconds(10);
      cache.put(chunk(9, d), d);
      assertFalse(cache.contains(cs[1]), "the eldest entry goes first after a restart");
      assertTrue(cache.contains(cs[0]));
    }
  }

  @Test
  void smallerCapacityOnReopenEvicts() throws Exception {
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(dir, 10L * CHUNK,
        Clock.systemUTC())) {
      for (int i = 0; i < 10; i++) {
        byte[] d = bytes(CHUNK, 20 + i);
        cache.put(chunk(i, d), d);
      }
    }
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(dir, 4L * CHUNK,
        Clock.systemUTC())) {
      assertEquals(4, cache.stats().entries());
      long files;
      try (Stream<Path> s = Files.walk(dir)) {
        files = s.filter(Files::isRegularFile).count();
      }
      assertEquals(4, files);
    }
  }

  @Test
  void aKilledWriterLeavesNoPartialEntry() throws Exception {
    byte[] d = bytes(CHUNK, 30);
    ChunkInfo c = chunk(0, d);
    Files.createDirectories(dir.resolve("wip"));
    // What a writer killed mid-write leaves: a partial file under wip/ with the entry's name.
    Files.write(dir.resolve("wip").resolve(c.digestHex() + ".7"), new byte[100]);
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(dir, 1 << 20, Clock.systemUTC())) {
      assertEquals(0, count(dir.resolve("wip")));
      assertFalse(cache.contains(c));
      assertTrue(cache.get(c).isEmpty());
      cache.put(c, d);
      assertArrayEquals(d, cache.get(c).orElseThrow());
    }
  }

  @Test
  void aTruncatedEntryFoundOnDiskIsNeverServed() throws Exception {
    byte[] d = bytes(CHUNK, 40);
    ChunkInfo c = chunk(0, d);
    String hex = c.digestHex();
    Files.createDirectories(dir.resolve(hex.substring(0, 2)));
    Files.write(dir.resolve(hex.substring(0, 2)).resolve(hex), new byte[CHUNK / 2]);
    try (DirectoryChunkCache cache = DirectoryChunkCache.open(dir, 1 << 20, Clock.systemUTC())) {
      assertTrue(cache.get(c).isEmpty());
      assertEquals(1, cache.stats().corrupt());
      assertFalse(Files.exists(dir.resolve(hex.substring(0, 2)).resolve(hex)));
    }
  }

  private static long count(Path d) throws Exception {
    try (Stream<Path> s = Files.list(d)) {
      return s.count();
    }
  }
}
