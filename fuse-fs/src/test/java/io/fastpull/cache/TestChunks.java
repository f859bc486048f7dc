package io.fastpull.cache;

import io.fastpull.format.ChunkInfo;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/** Chunk table entries for made-up chunk bytes (the cache only cares about digest and size). */
final class TestChunks {
  private TestChunks() {}

  static byte[] bytes(int size, long seed) {
    byte[] b = new byte[size];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      b[i] = (byte) r.nextInt();
    }
    return b;
  }

  static ChunkInfo chunk(int index, byte[] data) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(data);
      return new ChunkInfo(index, 0, data.length, data.length, true, digest);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
