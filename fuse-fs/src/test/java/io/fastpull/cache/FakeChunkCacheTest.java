package io.fastpull.cache;

import io.fastpull.format.ChunkInfo;

/**
 * Keeps the in-memory fake honest: the chunk reader tests (ChunkFetcherTest, FetchSchedulingTest)
 * run on it, so it must pass the same contract as {@link DirectoryChunkCache}. Mount tests use
 * the directory cache itself.
 */
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
