package io.fastpull.format;

/**
 * The constants of blob format version 1, as specified in {@code rafs-format/docs/format.md}.
 * Every multi-byte integer is little-endian.
 */
final class Layout {
  private Layout() {}

  static final int VERSION = 1;

  /** "FPLAZYv1" read as a little-endian long: the footer's first eight bytes. */
  static final long FOOTER_MAGIC = 0x3176595a414c5046L;
  static final int FOOTER_SIZE = 80;
  /** Footer flag: the metadata region is one zstd frame. */
  static final int FOOTER_FLAG_META_ZSTD = 1;

  /** "RAFS" as a little-endian int: the superblock's first four bytes. */
  static final int SUPER_MAGIC = 0x53464152;
  static final int SUPER_SIZE = 128;

  static final int INODE_SIZE = 64;
  static final int DIRENT_SIZE = 12;
  static final int CHUNK_SIZE = 48;
  static final int CHUNK_REF_SIZE = 12;
  static final int XATTR_SIZE = 16;
  static final int PREFETCH_SIZE = 4;

  /** Bit 31 of a chunk's compressed size: the chunk is stored uncompressed. */
  static final int CHUNK_RAW = 0x8000_0000;

  static final int MIN_CHUNK_LOG2 = 12;
  static final int MAX_CHUNK_LOG2 = 24;
  static final int MAX_NAME = 255;

  // st_mode type bits (Linux values; part of the format, not borrowed from the host).
  static final int S_IFMT = 0170000;
  static final int S_IFSOCK = 0140000;
  static final int S_IFLNK = 0120000;
  static final int S_IFREG = 0100000;
  static final int S_IFBLK = 0060000;
  static final int S_IFDIR = 0040000;
  static final int S_IFCHR = 0020000;
  static final int S_IFIFO = 0010000;

  static final int ROOT_INO = 1;
}
