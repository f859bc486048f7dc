package io.fastpull.format;

import static io.fastpull.format.FormatException.Region.CHUNK;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import java.security.MessageDigest;

/**
 * Turns a chunk's stored bytes into its verified uncompressed bytes. The only way chunk data
 * leaves the format library, so no caller can skip the digest check.
 *
 * <p>Stateless and thread-safe.
 */
public final class ChunkCodec {
  private ChunkCodec() {}

  /**
   * Loads zstd's native library and the digest provider now, so that the first chunk decoded
   * later does not pay for it (tens of milliseconds in a fresh JVM). Idempotent.
   */
  public static void warmUp() {
    Zstd.decompress(Zstd.compress(new byte[16]), 16);
    try {
      MessageDigest.getInstance("SHA-256").digest(new byte[16]);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /**
   * Decompresses (or copies, for a raw chunk) and verifies one chunk.
   *
   * @param chunk the chunk's table entry
   * @param stored buffer holding the chunk's stored bytes
   * @param offset where they start in {@code stored}
   * @return exactly {@code chunk.uncompressedSize()} bytes whose sha256 is the chunk's digest
   * @throws FormatException if the bytes do not decompress to the right size or digest
   */
  public static byte[] decode(ChunkInfo chunk, byte[] stored, int offset) throws FormatException {
    if (offset < 0 || offset > stored.length - chunk.compressedSize()) {
      throw new FormatException(CHUNK, 0, "chunk " + chunk.index() + " needs "
          + chunk.compressedSize() + " stored bytes, got " + (stored.length - offset));
    }
    byte[] out = new byte[chunk.uncompressedSize()];
    if (chunk.raw()) {
      System.arraycopy(stored, offset, out, 0, out.length);
    } else {
      long n;
      try {
        n = Zstd.decompressByteArray(out, 0, out.length, stored, offset, chunk.compressedSize());
      } catch (ZstdException e) {
        throw new FormatException(CHUNK, 0, "chunk " + chunk.index() + " at blob offset "
            + chunk.compressedOffset() + " is not a valid zstd frame: " + e.getMessage(), e);
      }
      if (n != out.length) {
        throw new FormatException(CHUNK, 0, "chunk " + chunk.index() + " decompressed to " + n
            + " bytes, expected " + out.length);
      }
    }
    verify(chunk, out);
    return out;
  }

  /** Checks already-uncompressed chunk bytes (e.g. from a cache) against the chunk's digest. */
  public static void verify(ChunkInfo chunk, byte[] data) throws FormatException {
    MessageDigest md = Digests.sha256();
    md.update(data, 0, data.length);
    if (data.length != chunk.uncompressedSize() || !chunk.digestMatches(md.digest())) {
      throw new FormatException(CHUNK, 0, "chunk " + chunk.index() + " (" + chunk.digestString()
          + ") at blob offset " + chunk.compressedOffset() + " fails its digest check");
    }
  }
}
