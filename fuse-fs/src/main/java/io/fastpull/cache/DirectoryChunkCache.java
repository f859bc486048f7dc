package io.fastpull.cache;

import io.fastpull.format.ChunkCodec;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.FormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ChunkCache} in a directory: one file per chunk at {@code <root>/ab/abcdef...} (the
 * digest's hex, sharded by its first byte), holding the chunk's decompressed bytes.
 *
 * <p>Writes go to {@code <root>/wip/} and are renamed into place atomically, so a writer killed
 * mid-way leaves no partial entry visible; {@link #open} deletes leftover {@code wip/} files and
 * rebuilds the index by scanning the shards, ordering entries by file mtime (which every hit and
 * write refreshes, so LRU order survives a restart). Entries are checked against their digest on
 * every read. Thread-safe.
 */
public final class DirectoryChunkCache implements ChunkCache {
  private static final Logger log = LoggerFactory.getLogger(DirectoryChunkCache.class);
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  private final Path root;
  private final Path wip;
  private final Clock clock;
  private final AtomicLong tmpCounter = new AtomicLong();
  private final Object lock = new Object();
  /** Guarded by {@link #lock}. */
  private final LruIndex index;
  /** Guarded by {@link #lock}. */
  private boolean closed;

  private DirectoryChunkCache(Path root, LruIndex index, Clock clock) {
    this.root = root;
    this.wip = root.resolve("wip");
    this.index = index;
    this.clock = clock;
  }

  /**
   * Opens (creating if needed) the cache under {@code root}: clears {@code wip/}, rebuilds the
   * index from the shards and evicts down to {@code capacityBytes}. Logs one line with the
   * recovered state.
   *
   * @param clock the time written into entries' mtimes on use (LRU order across restarts)
   */
  public static DirectoryChunkCache open(Path root, long capacityBytes, Clock clock)
      throws IOException {
    Files.createDirectories(root.resolve("wip"));
    DirectoryChunkCache cache = new DirectoryChunkCache(root, new LruIndex(capacityBytes),
        clock);
    int wipCleared = cache.clearWip();
    record Found(String key, long size, FileTime mtime) {}
    List<Found> found = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      Path shard = Files.createDirectories(root.resolve(String.format("%02x", b)));
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(shard)) {
        for (Path p : ds) {
          String name = p.getFileName().toString();
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          if (a.isRegularFile() && HEX64.matcher(name).matches()
              && name.startsWith(shard.getFileName().toString())) {
            found.add(new Found(name, a.size(), a.lastModifiedTime()));
          }
        }
      }
    }
    found.sort(Comparator.comparing(Found::mtime));
    synchronized (cache.lock) {
      for (Found f : found) {
        cache.index.add(f.key(), f.size());
      }
      cache.deleteAll(cache.index.evict());
    }
    CacheStats s = cache.stats();
    log.info("chunk cache opened root={} entries={} bytes={} capacity={} wipCleared={}", root,
        s.entries(), s.sizeBytes(), capacityBytes, wipCleared);
    return cache;
  }

  private int clearWip() throws IOException {
    int n = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(wip)) {
      for (Path p : ds) {
        Files.deleteIfExists(p);
        n++;
      }
    }
    return n;
  }

  /** The directory this cache lives in. */
  public Path root() {
    return root;
  }

  Path pathOf(String key) {
    return root.resolve(key.substring(0, 2)).resolve(key);
  }

  @Override
  public Optional<byte[]> get(ChunkInfo chunk) throws IOException {
    String key = chunk.digestHex();
    synchronized (lock) {
      checkOpen();
      if (!index.touch(key)) {
        index.misses++;
        return Optional.empty();
      }
      index.pin(key);
    }
    try {
      Path p = pathOf(key);
      byte[] data;
      try {
        data = Files.readAllBytes(p);
      } catch (NoSuchFileException e) {
        drop(key, false);
        return Optional.empty();
      }
      try {
        ChunkCodec.verify(chunk, data);
      } catch (FormatException e) {
        log.warn("chunk cache entry failed its digest check, dropped path={} chunk={}", p,
            chunk.digestString());
        drop(key, true);
        return Optional.empty();
      }
      try {
        Files.setLastModifiedTime(p, FileTime.from(clock.instant()));
      } catch (IOException e) {
        log.debug("could not refresh mtime path={}", p, e);
      }
      synchronized (lock) {
        index.hits++;
      }
      return Optional.of(data);
    } finally {
      synchronized (lock) {
        index.unpin(key);
      }
    }
  }

  private void drop(String key, boolean corrupt) throws IOException {
    synchronized (lock) {
      index.remove(key);
      index.misses++;
      if (corrupt) {
        index.corrupt++;
        Files.deleteIfExists(pathOf(key));
      }
    }
  }

  @Override
  public void put(ChunkInfo chunk, byte[] data) throws IOException {
    if (data.length != chunk.uncompressedSize()) {
      throw new IllegalArgumentException("chunk " + chunk.digestString() + " has "
          + chunk.uncompressedSize() + " bytes, got " + data.length);
    }
    String key = chunk.digestHex();
    synchronized (lock) {
      checkOpen();
      if (index.touch(key)) {
        return;
      }
    }
    Path tmp = wip.resolve(key + "." + tmpCounter.incrementAndGet());
    try {
      Files.write(tmp, data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      Files.setLastModifiedTime(tmp, FileTime.from(clock.instant()));
      Files.move(tmp, pathOf(key), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    synchronized (lock) {
      if (closed) {
        return; // the entry stays on disk and is found by the next open
      }
      index.add(key, data.length);
      index.bytesWritten += data.length;
      deleteAll(index.evict());
    }
  }

  /** Deletes evicted entries' files; caller holds the lock so a concurrent put cannot race. */
  private void deleteAll(List<String> keys) {
    for (String k : keys) {
      try {
        Files.deleteIfExists(pathOf(k));
      } catch (IOException e) {
        throw new UncheckedIOException("could not evict " + pathOf(k), e);
      }
    }
  }

  @Override
  public boolean contains(ChunkInfo chunk) {
    synchronized (lock) {
      checkOpen();
      return index.contains(chunk.digestHex());
    }
  }

  @Override
  public Pin pin(ChunkInfo chunk) {
    String key = chunk.digestHex();
    synchronized (lock) {
      checkOpen();
      index.pin(key);
    }
    return new Pin() {
      private boolean released;

      @Override
      public void close() {
        synchronized (lock) {
          if (!released) {
            released = true;
            index.unpin(key);
          }
        }
      }
    };
  }

  @Override
  public CacheStats stats() {
    synchronized (lock) {
      return index.stats();
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("chunk cache " + root + " is closed");
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
    }
  }
}
