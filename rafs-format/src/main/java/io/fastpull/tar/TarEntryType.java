package io.fastpull.tar;

/** The kinds of tar entry that an OCI layer may hold, after long-name and PAX headers are folded in. */
public enum TarEntryType {
  FILE,
  DIRECTORY,
  SYMLINK,
  /** A hard link: {@link TarHeader#linkName()} names an earlier entry of the same archive. */
  HARDLINK,
  CHAR_DEVICE,
  BLOCK_DEVICE,
  FIFO
}
