package io.fastpull.format;

import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.SplittableRandom;

/** Test layers built in code: tars from headers, and blobs from tars. */
public final class Layers {
  private Layers() {}

  /** Something that writes entries. */
  public interface Body {
    void write(TarWriter w) throws IOException;
  }

  public static byte[] tar(Body body) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarWriter w = new TarWriter(out)) {
      body.write(w);
      w.finish();
    }
    return out.toByteArray();
  }

  /** A lazy blob of {@code tar} with the given options. */
  public static byte[] blob(byte[] tar, LayerWriter.Options options) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new LayerWriter(options).write(new ByteArrayInputStream(tar), out);
    return out.toByteArray();
  }

  /** Deterministic pseudo-random bytes; {@code compressible} mixes in runs zstd can shrink. */
  public static byte[] bytes(int size, long seed, boolean compressible) {
    byte[] b = new byte[size];
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < size; i++) {
      b[i] = compressible ? (byte) ("abcdefgh".charAt((int) ((i / 7 + seed) % 8))) : (byte) r.nextInt();
    }
    if (compressible && size > 0) {
      b[r.nextInt(size)] = (byte) r.nextInt();
    }
    return b;
  }

  public static void dir(TarWriter w, String name, int mode) throws IOException {
    w.add(TarHeader.of(name, TarEntryType.DIRECTORY, mode, 0, 0, 0, 1_600_000_000L), null);
  }

  public static void file(TarWriter w, String name, byte[] content) throws IOException {
    file(w, name, 0644, 0, 0, content, Map.of());
  }

  public static void file(TarWriter w, String name, int mode, long uid, long gid, byte[] content,
      Map<String, byte[]> xattrs) throws IOException {
    w.add(new TarHeader(name, TarEntryType.FILE, mode, uid, gid, content.length, 1_650_000_000L,
        123_456_789, "", 0, 0, xattrs), new ByteArrayInputStream(content));
  }

  public static void symlink(TarWriter w, String name, String target) throws IOException {
    w.add(new TarHeader(name, TarEntryType.SYMLINK, 0777, 0, 0, 0, 1_600_000_001L, 0, target, 0,
        0, Map.of()), null);
  }

  public static void hardlink(TarWriter w, String name, String target) throws IOException {
    w.add(new TarHeader(name, TarEntryType.HARDLINK, 0644, 0, 0, 0, 1_650_000_000L, 0, target, 0,
        0, Map.of()), null);
  }

  public static void device(TarWriter w, String name, TarEntryType type, int major, int minor)
      throws IOException {
    w.add(new TarHeader(name, type, 0660, 0, 6, 0, 1_600_000_002L, 0, "", major, minor, Map.of()),
        null);
  }


  /** Copies a blob with one byte flipped. */
  public static byte[] flip(byte[] blob, long at) {
    byte[] c = blob.clone();
    c[(int) at] ^= 0x5a;
    return c;
  }
}
