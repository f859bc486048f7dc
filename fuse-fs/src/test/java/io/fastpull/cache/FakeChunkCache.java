package io.fastpull.cache;

import io.fastpull.format.ChunkCodec;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.FormatException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** An in-memory {@link ChunkCache} with the same contract as the directory cache. */
public final class FakeChunkCache implements ChunkCache {
  private final LruIndex index;
  private final Map<String, byte[]> data = new HashMap<>();
  private boolean closed;

  public FakeChunkCache(long capacity) {
    this.index = new LruIndex(capacity);
  }

  @Override
  public synchronized Optional<byte[]> get(ChunkInfo chunk) {
    checkOpen();
    String key = chunk.digestHex();
    if (!index.touch(key)) {
      index.misses++;
      return Optional.empty();
    }
    byte[] d = data.get(key).clone();
    try {
      ChunkCodec.verify(chunk, d);
    } catch (FormatException e) {
      index.remove(key);
      data.remove(key);
      index.misses++;
      index.corrupt++;
      return Optional.empty();
    }
    index.hits++;
    return Optional.of(d);
  }

  @Override
  public synchronized void put(ChunkInfo chunk, byte[] bytes) {
    checkOpen();
    if (bytes.length != chunk.uncompressedSize()) {
      throw new IllegalArgumentException("chunk " + chunk.digestString() + " has "
          + chunk.uncompressedSize() + " bytes, got " + bytes.length);
    }
    String key = chunk.digestHex();
    if (index.touch(key)) {
      return;
    }
    data.put(key, bytes.clone());
    index.add(key, bytes.length);
    index.bytesWritten += bytes.length;
    for (String victim : index.evict()) {
      data.remove(victim);
    }
  }

  /** Test hook: flips a byte of a stored entry, as a disk error would. */
  public synchronized void damage(ChunkInfo chunk) {
    data.get(chunk.digestHex())[0] ^= 1;
  }

  @Override
  public synchronized boolean contains(ChunkInfo chunk) {
    checkOpen();
    return index.contains(chunk.digestHex());
  }

  @Override
  public synchronized Pin pin(ChunkInfo chunk) {
    checkOpen();
    String key = chunk.digestHex();
    index.pin(key);
    return new Pin() {
      private boolean released;

      @Override
      public void close() {
        synchronized (FakeChunkCache.this) {
          if (!released) {
            released = true;
            index.unpin(key);
          }
        }
      }
    };
  }

  @Override
  public synchronized CacheStats stats() {
    return index.stats();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("cache closed");
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
  }
}
