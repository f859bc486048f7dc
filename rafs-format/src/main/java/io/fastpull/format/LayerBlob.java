package io.fastpull.format;

import static io.fastpull.format.FormatException.Region.BLOB;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A lazy blob opened for reading: its verified metadata plus access to its chunks through a
 * {@link BlobSource}.
 *
 * <p>Opening costs one read for the footer (none when the location is known from the manifest's
 * annotations) and one for the metadata. Thread-safe if the source is.
 */
public final class LayerBlob {
  /** The largest decompressed metadata accepted unless the caller says otherwise (1 GiB). */
  public static final long DEFAULT_MAX_METADATA = 1L << 30;

  private final BlobSource source;
  private final BlobFooter footer;
  private final LayerMeta meta;

  private LayerBlob(BlobSource source, BlobFooter footer, LayerMeta meta) {
    this.source = source;
    this.footer = footer;
    this.meta = meta;
  }

  /** Opens a blob by reading its footer first. */
  public static LayerBlob open(BlobSource source) throws IOException {
    return open(source, readFooter(source), DEFAULT_MAX_METADATA);
  }

  /** Reads and checks the footer at the end of {@code source}. */
  public static BlobFooter readFooter(BlobSource source) throws IOException {
    long size = source.size();
    if (size < BlobFooter.SIZE) {
      throw new FormatException(BLOB, 0, "not a fastpull lazy blob: it holds only " + size
          + " bytes, less than its " + BlobFooter.SIZE + "-byte footer");
    }
    byte[] f = new byte[BlobFooter.SIZE];
    source.readFully(size - BlobFooter.SIZE, f, 0, f.length);
    return BlobFooter.decode(f, size);
  }

  /**
   * Opens a blob whose footer is already known (from the footer or the manifest annotations).
   *
   * @param maxMetadata refuse metadata that decompresses to more than this many bytes
   * @throws FormatException if the metadata fails its digest, size or structure checks
   */
  public static LayerBlob open(BlobSource source, BlobFooter footer, long maxMetadata)
      throws IOException {
    Objects.requireNonNull(footer, "footer");
    byte[] stored = readMetadataRegion(source, footer, maxMetadata);
    return new LayerBlob(source, footer, LayerMeta.decode(decodeMetadata(footer, stored,
        maxMetadata)));
  }

  /** Reads the stored metadata region and checks its digest. */
  public static byte[] readMetadataRegion(BlobSource source, BlobFooter footer, long maxMetadata)
      throws IOException {
    if (footer.metaStoredSize() > maxMetadata || footer.metaSize() > maxMetadata) {
      throw new FormatException(BLOB, footer.metaOffset(), "metadata of "
          + footer.metaSize() + " bytes (" + footer.metaStoredSize()
          + " stored) exceeds the limit of " + maxMetadata);
    }
    byte[] stored = new byte[(int) footer.metaStoredSize()];
    source.readFully(footer.metaOffset(), stored, 0, stored.length);
    verifyMetadataRegion(footer, stored);
    return stored;
  }

  /**
   * Checks a stored metadata region (e.g. a copy kept on local disk) against the footer's size
   * and digest.
   *
   * @throws FormatException if it has another size or digest
   */
  public static void verifyMetadataRegion(BlobFooter footer, byte[] stored)
      throws FormatException {
    MessageDigest md = Digests.sha256();
    if (stored.length != footer.metaStoredSize()
        || !java.util.Arrays.equals(md.digest(stored), footer.metaDigest())) {
      throw new FormatException(BLOB, footer.metaOffset(), "metadata does not match its digest "
          + footer.metaDigestString());
    }
  }

  /** Decompresses a digest-checked metadata region to exactly the size the footer states. */
  public static byte[] decodeMetadata(BlobFooter footer, byte[] stored, long maxMetadata)
      throws FormatException {
    if (!footer.metaCompressed()) {
      return stored;
    }
    if (footer.metaSize() > maxMetadata) {
      throw new FormatException(BLOB, footer.metaOffset(), "metadata of " + footer.metaSize()
          + " bytes exceeds the limit of " + maxMetadata);
    }
    long frameSize = Zstd.getFrameContentSize(stored);
    if (frameSize != footer.metaSize()) {
      throw new FormatException(BLOB, footer.metaOffset(), "metadata frame declares "
          + frameSize + " bytes, footer says " + footer.metaSize());
    }
    byte[] out = new byte[(int) footer.metaSize()];
    long n;
    try {
      n = Zstd.decompressByteArray(out, 0, out.length, stored, 0, stored.length);
    } catch (ZstdException e) {
      throw new FormatException(BLOB, footer.metaOffset(), "metadata is not a valid zstd frame: "
          + e.getMessage(), e);
    }
    if (n != out.length) {
      throw new FormatException(BLOB, footer.metaOffset(), "metadata decompressed to " + n
          + " bytes, expected " + out.length);
    }
    return out;
  }

  public BlobFooter footer() {
    return footer;
  }

  public LayerMeta meta() {
    return meta;
  }

  public BlobSource source() {
    return source;
  }

  /** Reads, decompresses and verifies one chunk. */
  public byte[] readChunk(ChunkInfo chunk) throws IOException {
    if (chunk.compressedEnd() > footer.metaOffset()) {
      throw new FormatException(BLOB, chunk.compressedOffset(), "chunk " + chunk.index()
          + " runs into the metadata region");
    }
    byte[] stored = new byte[chunk.compressedSize()];
    source.readFully(chunk.compressedOffset(), stored, 0, stored.length);
    return ChunkCodec.decode(chunk, stored, 0);
  }

  /** The content of regular file {@code ino} as a stream that verifies each chunk it reads. */
  public InputStream openFile(int ino) {
    return new FileContentStream(this, ino);
  }

  /**
   * Reads and verifies every chunk of the blob.
   *
   * @return the number of chunks checked
   * @throws FormatException at the first chunk that fails
   */
  public int verifyAllChunks() throws IOException {
    for (int i = 0; i < meta.chunkCount(); i++) {
      readChunk(meta.chunk(i));
    }
    return meta.chunkCount();
  }
}
