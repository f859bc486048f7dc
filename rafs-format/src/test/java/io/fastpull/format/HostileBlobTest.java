package io.fastpull.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Damaged and hostile blobs: every failure is a {@link FormatException} (or, for a source that
 * ends early, an {@link java.io.EOFException}), never another exception, a hang or a huge
 * allocation.
 */
class HostileBlobTest {
  static byte[] blob;
  static BlobFooter footer;
  static byte[] meta;

  @BeforeAll
  static void makeBlob() throws IOException {
    blob = Layers.blob(Oracle.richLayer(4096), LayerWriter.Options.withChunkSize(4096));
    footer = LayerBlob.readFooter(BlobSource.of(blob));
    meta = LayerBlob.decodeMetadata(footer,
        Arrays.copyOfRange(blob, (int) footer.metaOffset(), (int) footer.metaEnd()),
        LayerBlob.DEFAULT_MAX_METADATA);
  }

  @Test
  void everyTruncationIsRejected() {
    for (int len = 0; len < blob.length; len += Math.max(1, blob.length / 300)) {
      byte[] cut = Arrays.copyOf(blob, len);
      assertThrows(IOException.class, () -> LayerBlob.open(BlobSource.of(cut)), "length " + len);
    }
  }

  @Test
  void everyFlippedFooterByteIsRejected() {
    for (int i = blob.length - BlobFooter.SIZE; i < blob.length - 8; i++) {
      byte[] bad = Layers.flip(blob, i);
      int at = i;
      IOException e = assertThrows(IOException.class, () -> LayerBlob.open(BlobSource.of(bad)),
          "flipped footer byte " + at);
      if (!(e instanceof FormatException) && !(e instanceof java.io.EOFException)) {
        fail("unexpected " + e);
      }
    }
  }

  @Test
  void flippedStoredMetadataFailsTheDigest() {
    for (long i = footer.metaOffset(); i < footer.metaEnd(); i += 7) {
      byte[] bad = Layers.flip(blob, i);
      FormatException e = assertThrows(FormatException.class,
          () -> LayerBlob.open(BlobSource.of(bad)));
      assertEquals(FormatException.Region.BLOB, e.region());
    }
  }

  @Test
  void flippedChunkBytesFailTheChunkNotTheMount() throws IOException {
    LayerMeta m = LayerBlob.open(BlobSource.of(blob)).meta();
    for (int c = 0; c < m.chunkCount(); c++) {
      ChunkInfo chunk = m.chunk(c);
      LayerBlob bad = LayerBlob.open(BlobSource.of(Layers.flip(blob,
          chunk.compressedOffset() + chunk.compressedSize() / 2)));
      assertThrows(FormatException.class, () -> bad.readChunk(chunk), chunk.toString());
      if (c + 1 < m.chunkCount()) {
        bad.readChunk(m.chunk(c + 1)); // the neighbours stay readable
      }
    }
  }

  /**
   * Random damage to the decompressed metadata: decoding either rejects it with a
   * FormatException or accepts it, and an accepted tree can be walked completely without any
   * exception.
   */
  @Test
  void mutatedMetadataIsRejectedOrSafe() {
    SplittableRandom r = new SplittableRandom(42);
    assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
      for (int round = 0; round < 3000; round++) {
        byte[] bad = meta.clone();
        int flips = 1 + r.nextInt(4);
        for (int f = 0; f < flips; f++) {
          int at = r.nextInt(bad.length);
          bad[at] = switch (r.nextInt(3)) {
            case 0 -> (byte) r.nextInt();
            case 1 -> (byte) 0xff;
            default -> (byte) (bad[at] + 1);
          };
        }
        LayerMeta m;
        try {
          m = LayerMeta.decode(bad);
        } catch (FormatException expected) {
          continue;
        }
        walk(m);
      }
    });
  }

  @Test
  void directoryCycleIsRejected() throws IOException {
    // Point the first dirent of the first subdirectory back at the root.
    byte[] bad = meta.clone();
    ByteBuffer b = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
    LayerMeta good = LayerMeta.decode(meta);
    int sub = good.list(1).stream().filter(e -> good.inode(e.ino()).isDirectory()).findFirst()
        .orElseThrow().ino();
    long inodeOff = b.getLong(40);
    long direntOff = b.getLong(48);
    int firstDirent = b.getInt((int) (inodeOff + (sub - 1) * 64L + 48));
    // Only directory entries matter for cycles: make the subdirectory list the root.
    int at = (int) (direntOff + firstDirent * 12L + 4);
    b.putInt(at, 1);
    FormatException e = assertThrows(FormatException.class, () -> LayerMeta.decode(bad));
    assertEquals(FormatException.Region.METADATA, e.region());
  }

  @Test
  void absurdCountsAreRejectedBeforeAllocating() {
    for (int field = 16; field <= 36; field += 4) {
      for (int value : new int[] {-1, Integer.MAX_VALUE, 1 << 28}) {
        byte[] bad = meta.clone();
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putInt(field, value);
        assertThrows(FormatException.class, () -> LayerMeta.decode(bad), "field " + field);
      }
    }
    for (int field = 40; field <= 104; field += 8) {
      for (long value : new long[] {-1, Long.MAX_VALUE, meta.length + 1L, 3}) {
        byte[] bad = meta.clone();
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(field, value);
        try {
          walk(LayerMeta.decode(bad));
        } catch (FormatException expected) {
          // rejected: fine
        }
      }
    }
  }

  @Test
  void metadataBombIsRefused() throws Exception {
    byte[] huge = Zstd.compress(new byte[64 << 20], 19);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(huge);
    byte[] fake = new byte[huge.length + BlobFooter.SIZE];
    System.arraycopy(huge, 0, fake, 0, huge.length);
    BlobFooter f = new BlobFooter(1, 1, 0, huge.length, 64 << 20, digest);
    System.arraycopy(f.encode(), 0, fake, huge.length, BlobFooter.SIZE);
    assertThrows(FormatException.class,
        () -> LayerBlob.open(BlobSource.of(fake), f, 1 << 20));
    // Within the limit it decompresses, and the zeros are no valid superblock.
    assertThrows(FormatException.class, () -> LayerBlob.open(BlobSource.of(fake)));
  }

  @Test
  void footerThatLiesAboutTheFrameSizeIsRejected() throws Exception {
    byte[] body = Zstd.compress(meta, 3);
    byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
    BlobFooter lie = new BlobFooter(1, 1, 0, body.length, meta.length + 1000, digest);
    assertThrows(FormatException.class, () -> LayerBlob.decodeMetadata(lie, body, 1 << 30));
  }

  /** Every query over every inode; must not throw for an accepted tree. */
  static void walk(LayerMeta m) {
    ArrayDeque<Integer> todo = new ArrayDeque<>();
    todo.add(1);
    int visited = 0;
    while (!todo.isEmpty() && visited++ < 100_000) {
      int ino = todo.poll();
      Inode n = m.inode(ino);
      m.xattrs(ino);
      m.readlink(ino);
      m.slices(ino, 0, Long.MAX_VALUE);
      m.slices(ino, Math.max(0, n.size() - 1), 10);
      for (DirEntry e : m.list(ino)) {
        m.lookup(ino, e.name());
        if (m.inode(e.ino()).isDirectory()) {
          todo.add(e.ino());
        } else {
          m.inode(e.ino());
          m.slices(e.ino(), 0, Long.MAX_VALUE);
          m.xattrs(e.ino());
          m.readlink(e.ino());
        }
      }
    }
    for (int p : m.prefetch()) {
      m.chunk(p);
    }
  }
}
