package io.fastpull.tar;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the entries of an uncompressed tar stream, one at a time, without buffering entry data.
 *
 * <p>Understands POSIX ustar (with {@code prefix}), PAX local ({@code x}) and global ({@code g})
 * headers, GNU long names ({@code L}, {@code K}), old GNU and v7 headers, base-256 numbers and GNU
 * sparse format 1.0. Other sparse forms and multi-volume archives are rejected with a {@link
 * TarFormatException}. The end of the archive is two zero blocks; a stream that simply ends
 * after zero or one zero block (as some writers produce) is accepted too. Bytes after the end
 * marker are not read.
 *
 * <p>Usage: call {@link #next()} until it returns empty; after each entry, optionally read {@link
 * #content()}. Whatever content is left unread is skipped by the next call to {@code next()}.
 *
 * <p>Performance: the reader adds no buffering and reads entry data straight from the given
 * stream, so pass a buffered stream (e.g. {@code new BufferedInputStream(in, 1 << 16)}) unless
 * the source already buffers. Skipping uses {@link InputStream#skip}.
 *
 * <p>Not thread-safe. The reader owns the stream: {@link #close()} closes it (idempotently).
 */
public final class TarReader implements Closeable {
  /** Largest GNU long name or long link name accepted. */
  static final int MAX_LONG_NAME = 64 * 1024;

  private final ArchiveInput input;
  private final byte[] block = new byte[ArchiveInput.BLOCK];
  private final Map<String, byte[]> global = new LinkedHashMap<>();
  private EntryStream stored;
  private InputStream content;
  private long padding;
  private boolean ended;
  private boolean closed;

  /**
   * @param in an uncompressed tar stream, ideally buffered; owned by the reader from now on
   */
  public TarReader(InputStream in) {
    this.input = new ArchiveInput(in);
  }

  /**
   * Advances to the next real entry, skipping any unread content of the current one.
   *
   * @return the entry's header, or empty at the end of the archive (and on every later call)
   * @throws TarFormatException if the archive is malformed, truncated or unsupported
   * @throws IOException if the stream fails
   * @throws IllegalStateException if the reader is closed
   */
  public Optional<TarHeader> next() throws IOException {
    if (closed) {
      throw new IllegalStateException("TarReader is closed");
    }
    if (ended) {
      return Optional.empty();
    }
    finishEntry();
    Extensions ext = new Extensions();
    while (true) {
      long at = input.offset();
      if (!input.readBlock(block)) {
        if (ext.isEmpty()) {
          ended = true;
          return Optional.empty();
        }
        throw new TarFormatException(at, "archive ends after an extension header, before the"
            + " entry it describes");
      }
      if (RawHeader.isZero(block)) {
        if (!ext.isEmpty()) {
          throw new TarFormatException(at, "end-of-archive block after an extension header");
        }
        if (!input.readBlock(block) || RawHeader.isZero(block)) {
          ended = true;
          return Optional.empty();
        }
        throw new TarFormatException(at, "a single zero block in the middle of the archive");
      }
      RawHeader raw;
      try {
        raw = RawHeader.parse(block, at);
      } catch (TarFormatException e) {
        throw at == 0 ? notATar(e) : e;
      }
      if (ext.start < 0) {
        ext.start = at;
      }
      switch (raw.typeflag()) {
        // Kept raw: an empty local value must still cancel a global one when merged.
        case 'x' -> ext.local.putAll(
            PaxRecords.parse(readExtension(raw, PaxRecords.MAX_SIZE, "PAX header"), at + 512));
        case 'g' -> PaxAttributes.overlay(global,
            PaxRecords.parse(readExtension(raw, PaxRecords.MAX_SIZE, "PAX global header"),
                at + 512));
        case 'L' -> ext.longName = cString(readExtension(raw, MAX_LONG_NAME, "GNU long name"));
        case 'K' -> ext.longLink = cString(readExtension(raw, MAX_LONG_NAME, "GNU long link"));
        case 'V' -> skipData(raw); // GNU volume label: describes the archive, not a file
        default -> {
          return Optional.of(open(raw, ext));
        }
      }
    }
  }

  /**
   * The current entry's content: exactly {@link TarHeader#size()} bytes (sparse holes read as
   * zeros), then -1. Empty for non-file entries. Supports efficient bulk {@code read} and {@code
   * skip}; {@code close()} on it does nothing. Valid until the next call to {@link #next()}, after
   * which using it throws {@link IllegalStateException}.
   *
   * @throws IllegalStateException before the first entry or after the end
   */
  public InputStream content() {
    if (content == null) {
      throw new IllegalStateException("no current entry: call next() first");
    }
    return content;
  }

  /** Closes the underlying stream. Idempotent. */
  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      input.close();
    }
  }

  private void finishEntry() throws IOException {
    if (stored != null) {
      stored.drain();
      stored.detach();
      input.skipFully(padding, "padding after entry data");
      stored = null;
      content = null;
    }
  }

  private TarHeader open(RawHeader raw, Extensions ext) throws IOException {
    Map<String, byte[]> merged = new LinkedHashMap<>(global);
    PaxAttributes.overlay(merged, ext.local);
    PaxAttributes pax = new PaxAttributes(merged, ext.start);
    TarEntryType type = type(raw);
    long storedSize = pax.number("size").orElse(raw.size());
    String name = pax.string("path").orElse(ext.longName != null ? ext.longName : raw.name());
    String link = pax.string("linkpath").orElse(ext.longLink != null ? ext.longLink
        : raw.linkName());
    if (type == TarEntryType.FILE && raw.typeflag() == 0 && name.endsWith("/")) {
      type = TarEntryType.DIRECTORY; // pre-POSIX archives mark directories by the trailing slash
    }
    long[] mtime = pax.mtime().orElse(new long[] {raw.mtime(), 0});
    long uid = pax.number("uid").orElse(raw.uid());
    long gid = pax.number("gid").orElse(raw.gid());
    if (uid < 0 || gid < 0) {
      throw new TarFormatException(raw.offset(), "negative uid/gid " + uid + "/" + gid);
    }
    long[] dev = {raw.devMajor(), raw.devMinor()};
    for (long d : dev) {
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw new TarFormatException(raw.offset(), "device number out of range: " + d);
      }
    }
    Long realSize = SparseHeaders.realSize(pax, raw.offset());
    if (realSize != null) {
      name = pax.string("GNU.sparse.name").orElse(name);
    }
    if (name.isEmpty()) {
      throw new TarFormatException(raw.offset(), "entry has an empty name");
    }

    stored = new EntryStream(input, storedSize, name);
    padding = -storedSize & (ArchiveInput.BLOCK - 1);
    long size;
    if (type != TarEntryType.FILE) {
      size = 0;
      content = InputStream.nullInputStream();
    } else if (realSize != null) {
      SparseMap map = SparseMap.read(stored, realSize, raw.offset() + 512);
      if (map.dataBytes() != stored.remaining()) {
        throw new TarFormatException(raw.offset(), "sparse map of " + name + " describes "
            + map.dataBytes() + " data bytes but the entry stores " + stored.remaining());
      }
      size = realSize;
      content = new SparseStream(stored, map);
    } else {
      size = storedSize;
      content = stored;
    }
    try {
      return new TarHeader(name, type, (int) (raw.mode() & 07777), uid, gid, size, mtime[0],
          (int) mtime[1], link, (int) dev[0], (int) dev[1], pax.xattrs());
    } catch (IllegalArgumentException e) {
      throw new TarFormatException(raw.offset(), e.getMessage());
    }
  }

  /**
   * A bad first header means the input is no tar at all (GNU tar: "This does not look like a tar
   * archive"), far more often than a corrupt one: say so first.
   */
  private static TarFormatException notATar(TarFormatException e) {
    TarFormatException t = new TarFormatException(e.offset(),
        "this does not look like a tar archive: " + e.problem());
    t.initCause(e);
    return t;
  }

  private static TarEntryType type(RawHeader raw) throws TarFormatException {
    return switch (raw.typeflag()) {
      case '0', 0, '7' -> TarEntryType.FILE;
      case '1' -> TarEntryType.HARDLINK;
      case '2' -> TarEntryType.SYMLINK;
      case '3' -> TarEntryType.CHAR_DEVICE;
      case '4' -> TarEntryType.BLOCK_DEVICE;
      case '5' -> TarEntryType.DIRECTORY;
      case '6' -> TarEntryType.FIFO;
      case 'S' -> throw new TarFormatException(raw.offset(), "old GNU sparse entry ('S') for "
          + raw.name() + " is unsupported; recreate the archive with --format=pax"
          + " (sparse format 1.0) or without --sparse");
      case 'M' -> throw new TarFormatException(raw.offset(), "multi-volume archives are"
          + " unsupported");
      default -> throw new TarFormatException(raw.offset(), "unsupported entry type '"
          + printable(raw.typeflag()) + "' for " + raw.name());
    };
  }

  private static String printable(byte b) {
    return b >= 0x20 && b < 0x7F ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xFF);
  }

  /** Reads an extension header's data (bounded) and its padding. */
  private byte[] readExtension(RawHeader raw, int max, String what) throws IOException {
    if (raw.size() > max) {
      throw new TarFormatException(raw.offset(), what + " claims " + raw.size()
          + " bytes, more than the " + max + " accepted");
    }
    byte[] data = new byte[(int) raw.size()];
    input.readFully(data, 0, data.length, what);
    input.skipFully(-raw.size() & (ArchiveInput.BLOCK - 1), "padding after " + what);
    return data;
  }

  private void skipData(RawHeader raw) throws IOException {
    input.skipFully(raw.size() + (-raw.size() & (ArchiveInput.BLOCK - 1)), "volume label");
  }

  private static String cString(byte[] data) {
    int end = 0;
    while (end < data.length && data[end] != 0) {
      end++;
    }
    return new String(data, 0, end, StandardCharsets.UTF_8);
  }

  /** Extension headers gathered for the entry being read. */
  private static final class Extensions {
    final Map<String, byte[]> local = new LinkedHashMap<>();
    String longName;
    String longLink;
    long start = -1;

    boolean isEmpty() {
      return start < 0;
    }
  }
}
