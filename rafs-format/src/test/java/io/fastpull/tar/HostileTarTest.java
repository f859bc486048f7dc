package io.fastpull.tar;

import static io.fastpull.tar.Tars.file;
import static io.fastpull.tar.Tars.tarOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Malformed and hostile archives end in TarFormatException, quickly and in little memory. */
class HostileTarTest {

  /** Reads the whole archive, content included; must fail with TarFormatException. */
  private static void assertRejected(byte[] tar) {
    assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
      assertThrows(TarFormatException.class, () -> readAll(tar));
    });
  }

  private static int readAll(byte[] tar) throws IOException {
    int n = 0;
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar))) {
      while (r.next().isPresent()) {
        r.content().transferTo(java.io.OutputStream.nullOutputStream());
        n++;
      }
    }
    return n;
  }

  @Test
  void truncatedHeader() {
    assertRejected(Arrays.copyOf(tarOf(file("a", "x")), 300));
    assertRejected(Arrays.copyOf(tarOf(file("a", "x"), file("b", "y")), 1024 + 100));
  }

  @Test
  void inputThatIsNoTarSaysSo() {
    for (byte[] junk : new byte[][] {bytes("hello, not a tar\n"), bytes("x".repeat(2000))}) {
      TarFormatException e = assertThrows(TarFormatException.class, () -> readAll(junk));
      assertTrue(e.problem().startsWith("this does not look like a tar archive"), e.getMessage());
    }
    // A bad header later on is a damaged archive, not a foreign file.
    byte[] tar = tarOf(file("a", "x"), file("b", "y"));
    Arrays.fill(tar, 1024, 1100, (byte) 'x');
    TarFormatException later = assertThrows(TarFormatException.class, () -> readAll(tar));
    assertTrue(!later.problem().contains("does not look like"), later.getMessage());
  }

  @Test
  void truncatedData() {
    byte[] tar = tarOf(file("a", 2000, 1));
    assertRejected(Arrays.copyOf(tar, 512 + 1000));
    assertRejected(Arrays.copyOf(tar, 512 + 2000)); // data complete, padding missing
  }

  @Test
  void truncatedDataDetectedWhenSkipped() {
    byte[] tar = Arrays.copyOf(tarOf(file("a", 100_000, 1)), 512 + 50_000);
    assertThrows(TarFormatException.class, () -> {
      try (TarReader r = new TarReader(new ByteArrayInputStream(tar))) {
        while (r.next().isPresent()) {
          // never read content: next() must notice the archive ends inside it
        }
      }
    });
  }

  @Test
  void truncatedAfterExtensionHeader() {
    byte[] tar = tarOf(file("n".repeat(300), "x"));
    assertRejected(Arrays.copyOf(tar, 1024)); // PAX header only
  }

  @Test
  void badChecksum() {
    byte[] tar = tarOf(file("a", "x"));
    tar[0] = 'b';
    assertRejected(tar);
  }

  @Test
  void allOnesHeader() {
    byte[] tar = new byte[4096];
    Arrays.fill(tar, (byte) 0xFF);
    assertRejected(tar);
  }

  @Test
  void randomGarbage() {
    java.util.Random rnd = new java.util.Random(7);
    for (int i = 0; i < 50; i++) {
      byte[] tar = new byte[512 * (1 + rnd.nextInt(8))];
      rnd.nextBytes(tar);
      assertRejected(tar);
    }
  }

  @Test
  void absurdPaxLength() {
    assertRejected(withHeader('x', 1L << 30, new byte[0]));
    assertRejected(withHeader('g', 1L << 40, new byte[0]));
  }

  @Test
  void absurdLongNameLength() {
    assertRejected(withHeader('L', 1L << 20, new byte[0]));
    assertRejected(withHeader('K', 100L << 20, new byte[0]));
  }

  @Test
  void negativeSize() {
    HeaderBlock h = new HeaderBlock((byte) '0').name(new byte[0], bytes("neg")).mode(0644)
        .owner(0, 0).size(-5).mtime(0);
    assertRejected(concat(h.toBytes(), new byte[1024]));
  }

  @Test
  void base256Overflow() {
    byte[] block = new HeaderBlock((byte) '0').name(new byte[0], bytes("big")).mode(0644)
        .owner(0, 0).size(0).mtime(0).toBytes();
    Arrays.fill(block, 124, 136, (byte) 0x7F);
    block[124] = (byte) 0x80 | 0x7F;
    assertRejected(concat(fixChecksum(block), new byte[1024]));
  }

  @Test
  void paxRecordLengthLies() {
    assertRejected(paxArchive(bytes("99 path=abc\n")));
    assertRejected(paxArchive(bytes("5 path=abc\n")));
    assertRejected(paxArchive(bytes("12 path=abc!\n")));
    assertRejected(paxArchive(bytes("11 path=abc\n"))); // a record of 11 bytes has no newline
    assertRejected(paxArchive(bytes("path=abc\n")));
    assertRejected(paxArchive(bytes("999999999999 path=abc\n")));
    assertRejected(paxArchive(bytes("8 =abcd\n")));
  }

  @Test
  void paxBadNumbers() {
    assertRejected(paxArchive(PaxRecords.encode(Map.of("size", bytes("-1")))));
    assertRejected(paxArchive(PaxRecords.encode(Map.of("uid", bytes("99999999999999999999")))));
    assertRejected(paxArchive(PaxRecords.encode(Map.of("mtime", bytes("1.2.3")))));
    assertRejected(paxArchive(PaxRecords.encode(Map.of("mtime", bytes("abc")))));
  }

  @Test
  void paxSizeLargerThanArchive() {
    assertRejected(paxArchive(PaxRecords.encode(Map.of("size", bytes("1099511627776")))));
  }

  @Test
  void sparseMapOutOfOrder() {
    assertRejected(sparse("2\n100\n1\n50\n1\n", 1000, 2));
  }

  @Test
  void sparseMapOverlapping() {
    assertRejected(sparse("2\n0\n10\n5\n10\n", 1000, 20));
  }

  @Test
  void sparseMapBeyondRealSize() {
    assertRejected(sparse("1\n990\n20\n", 1000, 20));
    assertRejected(sparse("1\n" + Long.MAX_VALUE / 10 + "\n20\n", 1000, 20));
  }

  @Test
  void sparseMapHugeCount() {
    assertRejected(sparse("999999999999\n0\n1\n", 1000, 1));
    assertRejected(sparse("1000000\n0\n1\n", 1000, 1)); // count allowed, map text runs out
  }

  @Test
  void sparseMapDisagreesWithStoredSize() {
    assertRejected(sparse("1\n0\n10\n", 1000, 11));
    assertRejected(sparse("1\n0\n10\n", 1000, 9));
  }

  @Test
  void sparseMapGarbage() {
    assertRejected(sparse("x\n", 1000, 0));
    assertRejected(sparse("1\n0\n", 1000, 0));
  }

  @Test
  void unsupportedSparseForms() {
    HeaderBlock oldGnu = new HeaderBlock((byte) 'S').name(new byte[0], bytes("s")).mode(0644)
        .owner(0, 0).size(0).mtime(0);
    assertRejected(concat(oldGnu.toBytes(), new byte[1024]));
    Map<String, byte[]> pax01 = new LinkedHashMap<>();
    pax01.put("GNU.sparse.size", bytes("100"));
    pax01.put("GNU.sparse.map", bytes("0,10"));
    assertRejected(paxArchive(PaxRecords.encode(pax01)));
    Map<String, byte[]> pax2 = new LinkedHashMap<>();
    pax2.put("GNU.sparse.major", bytes("2"));
    pax2.put("GNU.sparse.minor", bytes("0"));
    assertRejected(paxArchive(PaxRecords.encode(pax2)));
  }

  @Test
  void loneZeroBlockInTheMiddle() {
    byte[] one = tarOf(file("a", "x"));
    byte[] body = Arrays.copyOf(one, 1024); // header + data, no end marker
    assertRejected(concat(body, new byte[512], body));
  }

  @Test
  void endWithoutTwoZeroBlocksIsAccepted() throws IOException {
    byte[] body = Arrays.copyOf(tarOf(file("a", "x")), 1024);
    assertEquals(1, readAll(body));
    assertEquals(1, readAll(concat(body, new byte[512])));
    assertEquals(1, readAll(concat(body, new byte[1024], bytes("trailing junk is never read"))));
    assertEquals(0, readAll(new byte[0]));
  }

  @Test
  void unknownTypeIsRejected() {
    HeaderBlock h = new HeaderBlock((byte) 'Z').name(new byte[0], bytes("z")).mode(0644)
        .owner(0, 0).size(0).mtime(0);
    assertRejected(concat(h.toBytes(), new byte[1024]));
  }

  @Test
  void readerFormatVariants() throws IOException {
    // Octal with leading spaces and trailing space/NUL, signed checksum, v7 directory by slash.
    byte[] block = new HeaderBlock((byte) 0).name(new byte[0], bytes("v7dir/")).mode(0755)
        .owner(0, 0).size(0).mtime(0).toBytes();
    byte[] mode = bytes("   755 \0");
    System.arraycopy(mode, 0, block, 100, 8);
    Arrays.fill(block, 257, 265, (byte) 0); // no magic: v7
    block[300] = (byte) 0xE9; // a high byte makes signed and unsigned sums differ
    block = signedChecksum(block);
    Map<String, byte[]> global = new LinkedHashMap<>();
    global.put("uid", bytes("4242"));
    global.put("LIBARCHIVE.xattr.user.a%3Db", bytes("AAH/"));
    Map<String, byte[]> local = new LinkedHashMap<>();
    local.put("mtime", bytes("-1.25"));
    local.put("uid", new byte[0]); // empty value: back to the header field
    HeaderBlock f = new HeaderBlock((byte) '7').name(new byte[0], bytes("contig")).mode(0600)
        .owner(7, 8).size(3).mtime(99);
    byte[] tar = concat(block,
        extension('g', PaxRecords.encode(global)),
        new HeaderBlock((byte) '0').name(new byte[0], bytes("g-file")).mode(0644).owner(1, 1)
            .size(0).mtime(0).toBytes(),
        extension('x', PaxRecords.encode(local)),
        f.toBytes(), padded(bytes("abc")), new byte[1024]);
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar))) {
      TarHeader d = r.next().orElseThrow();
      assertEquals(TarEntryType.DIRECTORY, d.type());
      assertEquals(0755, d.mode());
      TarHeader g = r.next().orElseThrow();
      assertEquals(4242, g.uid());
      assertArrayEquals(new byte[] {0, 1, (byte) 0xFF}, g.xattrs().get("user.a=b"));
      TarHeader c = r.next().orElseThrow();
      assertEquals(TarEntryType.FILE, c.type());
      assertEquals(7, c.uid());
      assertEquals(-2, c.mtimeSeconds());
      assertEquals(750_000_000, c.mtimeNanos());
      assertArrayEquals(bytes("abc"), r.content().readAllBytes());
      assertEquals(Optional.empty(), r.next());
    }
  }

  @Test
  void emptyXattrValuesAreValuesNotDeletions() throws IOException {
    // As GNU tar writes a file with `setfattr -n user.empty`: "28 SCHILY.xattr.user.empty=\n".
    // Header fields are cancelled by an empty value (POSIX), xattrs are set to it (GNU tar,
    // libarchive and containerd's applier all do).
    Map<String, byte[]> global = new LinkedHashMap<>();
    global.put("SCHILY.xattr.user.g", bytes("global"));
    global.put("SCHILY.xattr.user.g-empty", new byte[0]);
    Map<String, byte[]> local = new LinkedHashMap<>();
    local.put("SCHILY.xattr.user.empty", new byte[0]);
    local.put("LIBARCHIVE.xattr.user.la", new byte[0]);
    local.put("SCHILY.xattr.user.g", new byte[0]);
    local.put("uid", new byte[0]);
    byte[] tar = concat(extension('g', PaxRecords.encode(global)),
        extension('x', PaxRecords.encode(local)),
        new HeaderBlock((byte) '0').name(new byte[0], bytes("f")).mode(0644).owner(5, 6)
            .size(0).mtime(0).toBytes(),
        new byte[1024]);
    assertEquals("28 SCHILY.xattr.user.empty=\n",
        new String(PaxRecords.encode(Map.of("SCHILY.xattr.user.empty", new byte[0])),
            StandardCharsets.UTF_8));
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar))) {
      TarHeader f = r.next().orElseThrow();
      assertEquals(5, f.uid());
      assertEquals(java.util.Set.of("user.empty", "user.la", "user.g", "user.g-empty"),
          f.xattrs().keySet());
      f.xattrs().values().forEach(v -> assertArrayEquals(new byte[0], v));
    }
  }

  @Test
  void gnuLongNamesAndBase256() throws IOException {
    String longName = "L".repeat(300);
    String longLink = "K".repeat(200);
    byte[] h = new HeaderBlock((byte) '2').name(new byte[0], bytes("short")).mode(0777)
        .owner(1L << 40, 3).size(0).mtime(-100).toBytes();
    byte[] tar = concat(extension('L', concat(bytes(longName), new byte[1])),
        extension('K', bytes(longLink)), h, new byte[1024]);
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar))) {
      TarHeader s = r.next().orElseThrow();
      assertEquals(longName, s.name());
      assertEquals(longLink, s.linkName());
      assertEquals(1L << 40, s.uid());
      assertEquals(-100, s.mtimeSeconds());
    }
  }

  // ---- archive builders ----

  private static byte[] withHeader(char type, long size, byte[] data) {
    byte[] h = new HeaderBlock((byte) type).name(new byte[0], bytes("ext")).mode(0644)
        .owner(0, 0).size(size).mtime(0).toBytes();
    return concat(h, padded(data), new byte[1024]);
  }

  private static byte[] extension(char type, byte[] data) {
    byte[] h = new HeaderBlock((byte) type).name(new byte[0], bytes("ext")).mode(0644)
        .owner(0, 0).size(data.length).mtime(0).toBytes();
    return concat(h, padded(data));
  }

  /** A PAX header with {@code records} followed by an empty file. */
  private static byte[] paxArchive(byte[] records) {
    byte[] f = new HeaderBlock((byte) '0').name(new byte[0], bytes("f")).mode(0644)
        .owner(0, 0).size(0).mtime(0).toBytes();
    return concat(extension('x', records), f, new byte[1024]);
  }

  /** A sparse 1.0 entry with the given map text and {@code dataBytes} stored after it. */
  private static byte[] sparse(String map, long realSize, int dataBytes) {
    Map<String, byte[]> pax = new LinkedHashMap<>();
    pax.put("GNU.sparse.major", bytes("1"));
    pax.put("GNU.sparse.minor", bytes("0"));
    pax.put("GNU.sparse.name", bytes("sparse"));
    pax.put("GNU.sparse.realsize", bytes(Long.toString(realSize)));
    byte[] mapBytes = padded(bytes(map));
    byte[] f = new HeaderBlock((byte) '0').name(new byte[0], bytes("GNUSparseFile.0/sparse"))
        .mode(0644).owner(0, 0).size(mapBytes.length + dataBytes).mtime(0).toBytes();
    return concat(extension('x', PaxRecords.encode(pax)), f, mapBytes,
        padded(new byte[dataBytes]), new byte[1024]);
  }

  private static byte[] padded(byte[] data) {
    return Arrays.copyOf(data, (data.length + 511) / 512 * 512);
  }

  private static byte[] fixChecksum(byte[] block) {
    Arrays.fill(block, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : block) {
      sum += b & 0xFF;
    }
    byte[] digits = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(digits, 0, block, 148, 8);
    return block;
  }

  private static byte[] signedChecksum(byte[] block) {
    Arrays.fill(block, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : block) {
      sum += b;
    }
    byte[] digits = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(digits, 0, block, 148, 8);
    return block;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
