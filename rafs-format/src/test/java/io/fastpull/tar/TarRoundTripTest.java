package io.fastpull.tar;

import static io.fastpull.tar.Tars.blockDev;
import static io.fastpull.tar.Tars.charDev;
import static io.fastpull.tar.Tars.dir;
import static io.fastpull.tar.Tars.fifo;
import static io.fastpull.tar.Tars.file;
import static io.fastpull.tar.Tars.hardlink;
import static io.fastpull.tar.Tars.opaque;
import static io.fastpull.tar.Tars.symlink;
import static io.fastpull.tar.Tars.tarOf;
import static io.fastpull.tar.Tars.whiteout;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Writer to reader: every entry type and field survives. Both ends are product code (TarWriter
 * writes the tars of {@code fastpull layer export} and the daemon's warm-up layer), and TarWriter
 * is also the fixture every other tar and layer test builds its input with ({@link Tars}); GNU
 * tar, not this round trip, is the oracle for the format itself (GnuTarCompatTest).
 */
class TarRoundTripTest {

  /** Writes the entries, reads them back, and checks header and content of each. */
  static void assertRoundTrip(Tars.Entry... entries) throws IOException {
    byte[] tar = tarOf(entries);
    assertEquals(0, tar.length % 512);
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar))) {
      for (Tars.Entry e : entries) {
        TarHeader got = r.next().orElseThrow(() -> new AssertionError("missing " + e.header()));
        assertEquals(e.header(), got);
        assertArrayEquals(e.content().readAllBytes(), r.content().readAllBytes(), got.name());
        assertEquals(-1, r.content().read());
      }
      assertEquals(Optional.empty(), r.next());
      assertEquals(Optional.empty(), r.next());
    }
  }

  @Test
  void everyType() throws IOException {
    assertRoundTrip(
        dir("a/", 0755),
        dir("a/b", 0700).owner(1000, 1000),
        file("a/f", "content"),
        symlink("a/l", "../target/elsewhere"),
        hardlink("a/h", "a/f"),
        charDev("a/null", 1, 3),
        blockDev("a/sda", 8, 0),
        charDev("a/bigdev", 4095, 1 << 20),
        fifo("a/pipe").mode(0600),
        whiteout("a/gone"),
        opaque("a/b"));
  }

  @Test
  void whiteoutAndOpaqueNames() {
    assertEquals("a/.wh.x", whiteout("a/x").header().name());
    assertEquals(".wh.x", whiteout("x").header().name());
    assertEquals("a/.wh..wh..opq", opaque("a").header().name());
  }

  @Test
  void modesIncludingSpecialBits() throws IOException {
    assertRoundTrip(
        file("setuid", "x").mode(04755),
        file("setgid", "x").mode(02755),
        dir("sticky", 01777),
        file("all", "x").mode(07777),
        file("none", "x").mode(0));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 511, 512, 513, 1024, 65536, 65537, 200_000})
  void boundarySizes(int size) throws IOException {
    assertRoundTrip(file("f", size, size), file("after", "next"));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 99, 100, 101, 155, 156, 255, 256, 257, 1000, 4000})
  void nameLengths(int length) throws IOException {
    assertRoundTrip(file(name(length), "x"), dir(name(length) + "/"),
        symlink(name(length) + "l", name(length)), hardlink("h", name(length)));
  }

  @Test
  void deepPathsSplitIntoPrefixOrPax() throws IOException {
    StringBuilder deep = new StringBuilder();
    for (int i = 0; i < 60; i++) {
      deep.append("d").append(i).append('/');
    }
    String longComponent = "c".repeat(120);
    assertRoundTrip(dir(deep.toString()), file(deep + "file", "deep"),
        file("p/" + longComponent, "one component longer than 100"),
        file("q".repeat(150) + "/" + "n".repeat(100), "prefix 150 + name 100"));
  }

  @Test
  void unicodeNamesAndLinks() throws IOException {
    assertRoundTrip(
        file("héllo/wörld/日本語ファイル.txt", "ünïcödé"),
        dir("емоджи-🎉/"),
        symlink("link→", "цель/🎯"),
        hardlink("hard-ß", "héllo/wörld/日本語ファイル.txt"));
  }

  @Test
  void longLinkNames() throws IOException {
    assertRoundTrip(file("t", "x"), symlink("s", "x/".repeat(200) + "t"),
        hardlink("h", "t".repeat(101)), symlink("s100", "y".repeat(100)));
  }

  @Test
  void timestamps() throws IOException {
    assertRoundTrip(
        file("nanos", "x").mtime(1_700_000_000L, 123_456_789),
        file("one-nano", "x").mtime(5, 1),
        file("negative", "x").mtime(-1, 0),
        file("negative-frac", "x").mtime(-2, 500_000_000),
        file("epoch", "x").mtime(0, 0),
        file("octal-max", "x").mtime((1L << 33) - 1, 0),
        file("far-future", "x").mtime(1L << 33, 0),
        file("very-negative", "x").mtime(-(1L << 40), 999_999_999));
  }

  @Test
  void paxTimeText() {
    assertEquals("-1.5", TarWriter.paxTime(-2, 500_000_000));
    assertEquals("1.000000001", TarWriter.paxTime(1, 1));
    assertEquals("-0.25", TarWriter.paxTime(-1, 750_000_000));
    assertEquals("7", TarWriter.paxTime(7, 0));
  }

  @Test
  void largeOwners() throws IOException {
    assertRoundTrip(
        file("max-octal", "x").owner((1L << 21) - 1, (1L << 21) - 1),
        file("2^21", "x").owner(1L << 21, 1L << 21),
        file("2^32", "x").owner(1L << 32, (1L << 32) + 7),
        file("2^62", "x").owner(1L << 62, 0));
  }

  @Test
  void binaryXattrsAllByteValues() throws IOException {
    byte[] all = new byte[256];
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    byte[] newlines = "\n\n=\n 12 x=y\n".getBytes();
    byte[] cap = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    assertRoundTrip(
        file("f", "x").xattr("user.all", all).xattr("security.capability", cap)
            .xattr("user.newlines", newlines).xattr("user.ünï", "v")
            .xattr("trusted.big", new byte[60_000]).xattr("user.empty", new byte[0]),
        dir("d").xattr("trusted.overlay.opaque", "y"),
        symlink("s", "f").xattr("user.k", new byte[] {0}));
  }

  @Test
  void sparseEntriesExpandHoles() throws IOException {
    assertRoundTrip(
        Tars.sparseZeros("empty-sparse", 0),
        Tars.sparseZeros("holes-only", 1 << 20),
        Tars.sparseZeros("mixed", 3 << 20).region(0, "start".getBytes())
            .region(1 << 20, new byte[700]).region((3 << 20) - 3, "end".getBytes()),
        Tars.sparseZeros("dir/ends-in-hole", 100_000).region(512, "data".getBytes()),
        file("after", "plain"));
  }

  @Test
  void sparseContentSkipsAcrossHolesAndRegions() throws IOException {
    Tars.Entry e = Tars.sparseZeros("s", 10_000).region(1000, "abc".getBytes())
        .region(5000, "defg".getBytes());
    try (TarReader r = new TarReader(new ByteArrayInputStream(tarOf(e)))) {
      assertEquals(10_000, r.next().orElseThrow().size());
      InputStream in = r.content();
      assertEquals(1001, in.skip(1001));
      assertEquals('b', in.read());
      assertEquals(3999, in.skip(3999));
      assertEquals('e', in.read());
      assertEquals(10_000 - 5002, in.skip(Long.MAX_VALUE));
      assertEquals(-1, in.read());
    }
  }

  @Test
  void unreadAndPartlyReadContentIsSkipped() throws IOException {
    byte[] tar = tarOf(file("a", 100_000, 1), file("b", 3000, 2), file("c", "c!"));
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar))) {
      r.next();
      r.next();
      assertEquals(7, r.content().read(new byte[7]));
      assertEquals("c", r.next().orElseThrow().name());
      assertArrayEquals("c!".getBytes(), r.content().readAllBytes());
    }
  }

  @Test
  void staleContentFailsFast() throws IOException {
    try (TarReader r = new TarReader(new ByteArrayInputStream(tarOf(file("a", "1"),
        file("b", "2"))))) {
      r.next();
      InputStream a = r.content();
      r.next();
      assertThrows(IllegalStateException.class, a::read);
    }
  }

  @Test
  void contentSkipUsesExactCounts() throws IOException {
    try (TarReader r = new TarReader(new ByteArrayInputStream(tarOf(file("a", 5000, 9))))) {
      r.next();
      InputStream in = r.content();
      assertEquals(4000, in.skip(4000));
      byte[] rest = in.readAllBytes();
      assertEquals(1000, rest.length);
      assertEquals(Tars.generatedByte(9, 4000), rest[0]);
      assertEquals(0, in.skip(10));
    }
  }

  @Test
  void misuse() throws IOException {
    TarReader r = new TarReader(new ByteArrayInputStream(tarOf()));
    assertThrows(IllegalStateException.class, r::content);
    assertEquals(Optional.empty(), r.next());
    r.close();
    r.close();
    assertThrows(IllegalStateException.class, r::next);

    TarWriter w = new TarWriter(new java.io.ByteArrayOutputStream());
    assertThrows(IllegalArgumentException.class,
        () -> w.add(TarHeader.of("f", TarEntryType.FILE, 0644, 0, 0, 5, 0), null));
    IOException shortData = assertThrows(IOException.class,
        () -> w.add(TarHeader.of("f", TarEntryType.FILE, 0644, 0, 0, 5, 0),
            new ByteArrayInputStream(new byte[3])));
    assertTrue(shortData.getMessage().contains("f"));
    w.finish();
    w.finish();
    assertThrows(IllegalStateException.class,
        () -> w.add(TarHeader.of("d", TarEntryType.DIRECTORY, 0755, 0, 0, 0, 0), null));
    w.close();
    w.close();
  }

  @Test
  void sparseRegionsAreValidated() {
    TarWriter w = new TarWriter(new java.io.ByteArrayOutputStream());
    TarHeader h = TarHeader.of("s", TarEntryType.FILE, 0644, 0, 0, 100, 0);
    List<List<long[]>> bad = List.of(
        List.of(new long[] {50, 10}, new long[] {10, 10}),
        List.of(new long[] {0, 60}, new long[] {50, 10}),
        List.of(new long[] {95, 10}),
        List.of(new long[] {-1, 1}));
    for (List<long[]> regions : bad) {
      assertThrows(IllegalArgumentException.class,
          () -> w.addSparse(h, regions, new ByteArrayInputStream(new byte[100])));
    }
  }

  @Test
  void manyEntriesStreamInOrder() throws IOException {
    List<Tars.Entry> entries = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      entries.add(file("f" + i, i * 7, i));
    }
    assertRoundTrip(entries.toArray(new Tars.Entry[0]));
  }

  private static String name(int length) {
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (sb.length() < length) {
      sb.append(i++ % 9 == 8 ? '/' : (char) ('a' + i % 26));
    }
    sb.setLength(length);
    if (sb.charAt(length - 1) == '/') {
      sb.setCharAt(length - 1, 'z');
    }
    return sb.toString().replace("//", "/x");
  }
}
