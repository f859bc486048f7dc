package io.fastpull.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The fixed-size trailer of a lazy blob: where the metadata region is and what it must hash to.
 *
 * @param version blob format version (1)
 * @param flags footer flags ({@code 1} = metadata is zstd-compressed)
 * @param metaOffset start of the stored metadata region, from the start of the blob
 * @param metaStoredSize bytes of the stored (possibly compressed) metadata region
 * @param metaSize bytes of the metadata once decompressed
 * @param metaDigest sha256 of the stored metadata region (32 bytes)
 */
public record BlobFooter(
    int version, int flags, long metaOffset, long metaStoredSize, long metaSize, byte[] metaDigest) {

  /** Bytes taken by an encoded footer at the very end of every blob. */
  public static final int SIZE = Layout.FOOTER_SIZE;

  public BlobFooter {
    Objects.requireNonNull(metaDigest, "metaDigest");
    if (metaDigest.length != 32) {
      throw new IllegalArgumentException("metaDigest must be 32 bytes, got " + metaDigest.length);
    }
    if (metaOffset < 0 || metaStoredSize <= 0 || metaSize <= 0) {
      throw new IllegalArgumentException(
          "bad metadata location offset=" + metaOffset + " stored=" + metaStoredSize + " size="
              + metaSize);
    }
    metaDigest = metaDigest.clone();
  }

  @Override
  public byte[] metaDigest() {
    return metaDigest.clone();
  }

  /** The digest as an OCI digest string, {@code sha256:<hex>}. */
  public String metaDigestString() {
    return "sha256:" + HexFormat.of().formatHex(metaDigest);
  }

  /** Whether the metadata region is one zstd frame (else it is stored plain). */
  public boolean metaCompressed() {
    return (flags & Layout.FOOTER_FLAG_META_ZSTD) != 0;
  }

  /** Where the metadata region ends, which is where the footer starts. */
  public long metaEnd() {
    return metaOffset + metaStoredSize;
  }

  /** Encodes this footer into its {@value Layout#FOOTER_SIZE} bytes. */
  public byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(Layout.FOOTER_MAGIC)
        .putInt(version)
        .putInt(flags)
        .putLong(metaOffset)
        .putLong(metaStoredSize)
        .putLong(metaSize)
        .put(metaDigest);
    return b.array(); // the last 8 bytes stay zero (reserved)
  }

  /**
   * Decodes and checks a footer read from the last {@link #SIZE} bytes of a blob.
   *
   * @param bytes exactly {@link #SIZE} bytes
   * @param blobSize total blob size, to check that the metadata lies inside the blob
   * @throws FormatException when the magic, version or location is wrong
   */
  public static BlobFooter decode(byte[] bytes, long blobSize) throws FormatException {
    long at = blobSize - SIZE;
    if (bytes.length != SIZE) {
      throw new FormatException(FormatException.Region.BLOB, Math.max(at, 0),
          "footer must be " + SIZE + " bytes, got " + bytes.length);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long magic = b.getLong();
    if (magic != Layout.FOOTER_MAGIC) {
      throw new FormatException(FormatException.Region.BLOB, at,
          "not a fastpull lazy blob: bad footer magic 0x" + Long.toHexString(magic));
    }
    int version = b.getInt();
    if (version != Layout.VERSION) {
      throw new FormatException(FormatException.Region.BLOB, at + 8,
          "unsupported blob format version " + version + " (this build reads " + Layout.VERSION
              + ")");
    }
    int flags = b.getInt();
    if ((flags & ~Layout.FOOTER_FLAG_META_ZSTD) != 0) {
      throw new FormatException(FormatException.Region.BLOB, at + 12,
          "unknown footer flags 0x" + Integer.toHexString(flags));
    }
    long metaOffset = b.getLong();
    long stored = b.getLong();
    long size = b.getLong();
    byte[] digest = new byte[32];
    b.get(digest);
    if (metaOffset < 0 || stored <= 0 || size <= 0 || metaOffset > at || stored > at - metaOffset) {
      throw new FormatException(FormatException.Region.BLOB, at + 16,
          "metadata location offset=" + metaOffset + " size=" + stored
              + " does not fit before the footer of a " + blobSize + "-byte blob");
    }
    if ((flags & Layout.FOOTER_FLAG_META_ZSTD) == 0 && size != stored) {
      throw new FormatException(FormatException.Region.BLOB, at + 32,
          "plain metadata of " + stored + " bytes claims decompressed size " + size);
    }
    return new BlobFooter(version, flags, metaOffset, stored, size, digest);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlobFooter f && version == f.version && flags == f.flags
        && metaOffset == f.metaOffset && metaStoredSize == f.metaStoredSize
        && metaSize == f.metaSize && java.util.Arrays.equals(metaDigest, f.metaDigest);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, flags, metaOffset, metaStoredSize, metaSize);
  }

  @Override
  public String toString() {
    return "BlobFooter[v" + version + " meta@" + metaOffset + "+" + metaStoredSize + " ("
        + metaSize + " decompressed) " + metaDigestString() + "]";
  }
}
