package io.fastpull.cache;

import io.fastpull.format.ChunkInfo;

class FakeChunkCacheTest extends ChunkCacheContract {
  @Override
  ChunkCache create(long capacity) {
    return new FakeChunkCache(capacity);
  }

  @Override
  void damage(ChunkCache cache, ChunkInfo chunk) {
    ((FakeChunkCache) cache).damage(chunk);
  }
}
