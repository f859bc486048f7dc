package io.fastpull.tar;

import static io.fastpull.tar.Tars.charDev;
import static io.fastpull.tar.Tars.dir;
import static io.fastpull.tar.Tars.fifo;
import static io.fastpull.tar.Tars.file;
import static io.fastpull.tar.Tars.hardlink;
import static io.fastpull.tar.Tars.symlink;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TarReader and TarWriter against real GNU tar, in both directions. */
class GnuTarCompatTest {
  private static final byte[] BINARY = {0, (byte) 0xFF, '\n', '=', ' ', 1, (byte) 0x80, 0};
  private static final String UNICODE = "ünïcödé-日本語-".repeat(6) + "🎉.txt";

  @TempDir Path tmp;

  @Test
  void readsGnuTarPaxArchive() throws Exception {
    Path src = sourceTree();
    Path tar = tmp.resolve("pax.tar");
    GnuTar.run(src, "tar", "-c", "--xattrs", "--xattrs-include=*", "--format=pax", "-f",
        tar.toString(), ".");
    assertMatchesFilesystem(tar, src);
  }

  @Test
  void readsGnuTarGnuFormatWithLongNames() throws Exception {
    Path src = sourceTree();
    Files.createSymbolicLink(src.resolve("long-target-link"),
        Path.of("t".repeat(150) + "/" + "u".repeat(80)));
    Path tar = tmp.resolve("gnu.tar");
    GnuTar.run(src, "tar", "-c", "--format=gnu", "-f", tar.toString(), ".");
    assertMatchesFilesystem(tar, src);
  }

  @Test
  void readsGnuTarUstarAndV7() throws Exception {
    Path src = tmp.resolve("plain");
    Files.createDirectories(src.resolve("d"));
    Files.writeString(src.resolve("d/f"), "hello");
    for (String format : List.of("ustar", "v7", "oldgnu", "posix")) {
      Path tar = tmp.resolve(format + ".tar");
      GnuTar.run(src, "tar", "-c", "--format=" + format, "-f", tar.toString(), ".");
      assertMatchesFilesystem(tar, src);
    }
  }

  @Test
  void gnuTarExtractsWriterOutput() throws Exception {
    boolean root = GnuTar.isRoot();
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    List<Tars.Entry> entries = new java.util.ArrayList<>(List.of(
        dir("d/", 0750).mtime(1_600_000_000L, 0),
        file("d/setuid", "suid").mode(04755).mtime(1_650_000_000L, 123_456_789),
        dir("d/sticky/", 01777),
        file("d/setgid", 5000, 3).mode(02711),
        symlink("d/link", "setuid"),
        hardlink("d/hard", "d/setuid"),
        fifo("d/fifo").mode(0640),
        file("d/" + UNICODE, "unicode").xattr("user.bin", all).xattr("user.empty", new byte[0]),
        file("d/" + "p".repeat(120) + "/deep/" + "q".repeat(90), "long path"),
        file("d/zero", new byte[0]),
        file("d/old", "x").mtime(-86_400L * 365, 0)));
    if (root) {
      entries.add(charDev("d/null", 1, 3).mode(0666));
      entries.add(file("d/owned", "o").owner(1234, 5678).xattr("trusted.t", BINARY));
      entries.add(file("d/bigowner", "o").owner((1L << 21) + 5, 1L << 22));
    }
    // The GNU tar extraction tree must exist before the hardlink's directory, so order matters.
    entries.add(1, dir("d/" + "p".repeat(120) + "/deep/"));
    entries.add(1, dir("d/" + "p".repeat(120) + "/"));
    Path tar = tmp.resolve("writer.tar");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar))) {
      Tars.writeTar(out, entries.toArray(new Tars.Entry[0]));
    }
    Path dst = Files.createDirectory(tmp.resolve("dst"));
    GnuTar.run(dst, "tar", "-x", "-p", "--xattrs", "--xattrs-include=*", "--numeric-owner",
        "-f", tar.toString());

    for (Tars.Entry e : entries) {
      TarHeader h = e.header();
      Path p = dst.resolve(h.name());
      Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      assertEquals(TYPE_BITS.get(h.type()), mode & 0170000, h.name());
      if (h.type() != TarEntryType.SYMLINK && h.type() != TarEntryType.HARDLINK) {
        assertEquals(Integer.toOctalString(h.mode()), Integer.toOctalString(mode & 07777),
            h.name());
      }
      if (root) {
        assertEquals(h.uid(), ((Integer) a.get("uid")) & 0xFFFFFFFFL, h.name());
        assertEquals(h.gid(), ((Integer) a.get("gid")) & 0xFFFFFFFFL, h.name());
      }
      if (h.type() != TarEntryType.SYMLINK && h.type() != TarEntryType.DIRECTORY
          && h.type() != TarEntryType.HARDLINK) {
        FileTime t = (FileTime) a.get("lastModifiedTime");
        assertEquals(h.mtimeSeconds() * 1_000_000_000L + h.mtimeNanos(),
            t.to(java.util.concurrent.TimeUnit.NANOSECONDS), h.name());
      }
      switch (h.type()) {
        case FILE -> assertArrayEquals(e.content().readAllBytes(), Files.readAllBytes(p));
        case SYMLINK -> assertEquals(h.linkName(), Files.readSymbolicLink(p).toString());
        case HARDLINK -> assertEquals(Files.getAttribute(dst.resolve(h.linkName()), "unix:ino"),
            a.get("ino"), h.name());
        case CHAR_DEVICE -> assertEquals((long) (h.devMajor() << 8 | h.devMinor()),
            ((Number) a.get("rdev")).longValue());
        default -> { }
      }
      for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
        assertArrayEquals(x.getValue(), GnuTar.getXattr(p, x.getKey()), h.name() + " " + x);
      }
    }
  }

  @Test
  void sparseFileLargerThanFourGib() throws Exception {
    long size = (4L << 30) + (1 << 20) + 17;
    byte[] head = "head of the file".getBytes();
    byte[] middle = new byte[70_000];
    new java.util.Random(1).nextBytes(middle);
    byte[] tail = "tail!".getBytes();
    long middleAt = 3L << 30;
    long tailAt = size - tail.length;
    Tars.Entry sparse = Tars.sparseZeros("big/sparse.img", size).region(0, head)
        .region(middleAt, middle).region(tailAt, tail).mode(0600);
    Tars.Entry holeAtEnd = Tars.sparseZeros("big/hole-at-end", 5L << 30).region(1 << 20, head);
    Path tar = tmp.resolve("sparse.tar");
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar))) {
      Tars.writeTar(out, dir("big/"), sparse, holeAtEnd, file("big/after", "after"));
    }
    assertTrue(Files.size(tar) < 200_000, "archive stores only data: " + Files.size(tar));

    Path dst = Files.createDirectory(tmp.resolve("dst"));
    GnuTar.run(dst, "tar", "-x", "-p", "-f", tar.toString());
    Path img = dst.resolve("big/sparse.img");
    assertEquals(size, Files.size(img));
    assertTrue(GnuTar.stBlocks(img) < 4096, "extracted sparsely: " + GnuTar.stBlocks(img));
    assertEquals(5L << 30, Files.size(dst.resolve("big/hole-at-end")));
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(img)) {
      assertArrayEquals(middle, readAt(ch, middleAt, middle.length));
      assertArrayEquals(tail, readAt(ch, tailAt, tail.length));
      assertArrayEquals(head, readAt(ch, 0, head.length));
    }

    try (TarReader r = new TarReader(new BufferedInputStream(Files.newInputStream(tar)))) {
      assertEquals(TarEntryType.DIRECTORY, r.next().orElseThrow().type());
      TarHeader h = r.next().orElseThrow();
      assertEquals(sparse.header(), h);
      assertStreamsEqual(sparse.content(), r.content(), size);
      h = r.next().orElseThrow();
      assertEquals(5L << 30, h.size());
      assertEquals(5L << 30, r.content().skip(Long.MAX_VALUE)); // holes skip without I/O
      assertEquals("big/after", r.next().orElseThrow().name());
      assertEquals(Optional.empty(), r.next());
    }
  }

  @Test
  void gnuTarSparseArchiveReadsBack() throws Exception {
    Path src = Files.createDirectory(tmp.resolve("sparse-src"));
    Path f = src.resolve("s.bin");
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap("middle".getBytes()), 10L << 20);
      ch.write(java.nio.ByteBuffer.wrap("end".getBytes()), (64L << 20) - 3);
    }
    Path tar = tmp.resolve("gnu-sparse.tar");
    GnuTar.run(src, "tar", "-c", "--sparse", "--format=pax", "-f", tar.toString(), "s.bin");
    try (TarReader r = new TarReader(new BufferedInputStream(Files.newInputStream(tar)))) {
      TarHeader h = r.next().orElseThrow();
      assertEquals("s.bin", h.name());
      assertEquals(64L << 20, h.size());
      try (InputStream expected = Files.newInputStream(f)) {
        assertStreamsEqual(expected, r.content(), h.size());
      }
      assertEquals(Optional.empty(), r.next());
    }
  }

  /** A tree with every kind of entry GNU tar can archive, and the xattrs it set. */
  private Path sourceTree() throws Exception {
    Path src = Files.createDirectory(tmp.resolve("src"));
    Path d = Files.createDirectory(src.resolve("d"));
    Files.writeString(d.resolve("setuid"), "suid");
    Files.setAttribute(d.resolve("setuid"), "unix:mode", 04755);
    Files.setAttribute(d, "unix:mode", 01750);
    Files.write(d.resolve("blob"), new byte[70_000]);
    Files.createSymbolicLink(d.resolve("link"), Path.of("setuid"));
    Files.createLink(d.resolve("hard"), d.resolve("setuid"));
    GnuTar.run(d, "mkfifo", "fifo");
    Files.createDirectories(d.resolve("sub/" + UNICODE));
    Files.writeString(d.resolve("sub/" + UNICODE + "/" + UNICODE), "long unicode");
    Files.writeString(d.resolve("xattrs"), "x");
    GnuTar.setXattr(d.resolve("xattrs"), "user.bin", BINARY);
    GnuTar.setXattr(d.resolve("xattrs"), "user.empty", new byte[0]);
    if (GnuTar.isRoot()) {
      GnuTar.run(d, "mknod", "null", "c", "1", "3");
      GnuTar.setXattr(d.resolve("xattrs"), "trusted.t", BINARY);
      Files.setAttribute(d.resolve("blob"), "unix:uid", 4321);
      Files.setAttribute(d.resolve("blob"), "unix:gid", 8765);
    }
    Files.setLastModifiedTime(d.resolve("blob"), FileTime.from(java.time.Instant.ofEpochSecond(
        1_234_567_890L, 987_654_321)));
    return src;
  }

  /** Every entry of the archive must agree with the file it came from. */
  private static void assertMatchesFilesystem(Path tar, Path src) throws Exception {
    Map<Object, String> firstByInode = new HashMap<>();
    int count = 0;
    try (TarReader r = new TarReader(new BufferedInputStream(Files.newInputStream(tar)))) {
      Optional<TarHeader> next;
      while ((next = r.next()).isPresent()) {
        TarHeader h = next.get();
        count++;
        Path p = src.resolve(h.name());
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        TarEntryType fsType = TYPE_BITS.entrySet().stream()
            .filter(t -> t.getKey() != TarEntryType.HARDLINK && t.getValue() == (mode & 0170000)).findFirst().orElseThrow().getKey();
        if (h.type() == TarEntryType.HARDLINK) {
          assertEquals(TarEntryType.FILE, fsType);
          assertEquals(firstByInode.get(a.get("ino")), normal(h.linkName()), h.name());
          continue;
        }
        assertEquals(fsType, h.type(), h.name());
        firstByInode.putIfAbsent(a.get("ino"), normal(h.name()));
        if (h.type() != TarEntryType.SYMLINK) {
          assertEquals(Integer.toOctalString(mode & 07777), Integer.toOctalString(h.mode()),
              h.name());
        }
        assertEquals(((Integer) a.get("uid")).longValue(), h.uid(), h.name());
        assertEquals(((Integer) a.get("gid")).longValue(), h.gid(), h.name());
        long fsNanos = ((FileTime) a.get("lastModifiedTime"))
            .to(java.util.concurrent.TimeUnit.NANOSECONDS);
        assertEquals(Math.floorDiv(fsNanos, 1_000_000_000L), h.mtimeSeconds(), h.name());
        if (h.mtimeNanos() != 0) {
          assertEquals(Math.floorMod(fsNanos, 1_000_000_000L), h.mtimeNanos(), h.name());
        }
        switch (h.type()) {
          case FILE -> {
            assertEquals(Files.size(p), h.size(), h.name());
            assertArrayEquals(Files.readAllBytes(p), r.content().readAllBytes(), h.name());
          }
          case SYMLINK -> assertEquals(Files.readSymbolicLink(p).toString(), h.linkName());
          case CHAR_DEVICE -> {
            long rdev = ((Number) a.get("rdev")).longValue();
            assertEquals(rdev >> 8, h.devMajor());
            assertEquals(rdev & 0xFF, h.devMinor());
          }
          default -> assertEquals(0, h.size());
        }
        if (!tar.getFileName().toString().startsWith("pax")) {
          continue;
        }
        Map<String, byte[]> expected = new LinkedHashMap<>();
        for (String name : List.of("user.bin", "user.empty", "trusted.t")) {
          byte[] v = GnuTar.getXattr(p, name);
          if (v != null && h.type() != TarEntryType.SYMLINK) {
            expected.put(name, v);
          }
        }
        assertEquals(expected.keySet(), h.xattrs().keySet(), h.name());
        expected.forEach((k, v) -> assertArrayEquals(v, h.xattrs().get(k), h.name() + " " + k));
      }
    }
    try (var walk = Files.walk(src)) {
      assertEquals(walk.count(), count, "one entry per file system object");
    }
  }

  private static String normal(String name) {
    return Path.of(name).normalize().toString();
  }

  private static byte[] readAt(java.nio.channels.FileChannel ch, long pos, int len)
      throws IOException {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(len);
    while (b.hasRemaining() && ch.read(b, pos + b.position()) > 0) {
      // read until full
    }
    return b.array();
  }

  /** Compares two streams of {@code size} bytes in 1 MiB pieces, never holding them whole. */
  static void assertStreamsEqual(InputStream expected, InputStream actual, long size)
      throws IOException {
    byte[] a = new byte[1 << 20];
    byte[] b = new byte[1 << 20];
    long pos = 0;
    while (pos < size) {
      int n = (int) Math.min(a.length, size - pos);
      assertEquals(n, expected.readNBytes(a, 0, n));
      assertEquals(n, actual.readNBytes(b, 0, n), "short read at " + pos);
      if (!java.util.Arrays.equals(a, 0, n, b, 0, n)) {
        int i = java.util.Arrays.mismatch(a, 0, n, b, 0, n);
        throw new AssertionError("content differs at byte " + (pos + i));
      }
      pos += n;
    }
    assertEquals(-1, actual.read());
  }

  private static final Map<TarEntryType, Integer> TYPE_BITS = Map.of(
      TarEntryType.FILE, 0100000, TarEntryType.DIRECTORY, 0040000,
      TarEntryType.SYMLINK, 0120000, TarEntryType.HARDLINK, 0100000,
      TarEntryType.CHAR_DEVICE, 0020000, TarEntryType.BLOCK_DEVICE, 0060000,
      TarEntryType.FIFO, 0010000);
}
