package io.fastpull.format;

/** The file types a layer can hold, with their {@code st_mode} type bits. */
public enum InodeType {
  DIRECTORY(Layout.S_IFDIR),
  FILE(Layout.S_IFREG),
  SYMLINK(Layout.S_IFLNK),
  CHAR_DEVICE(Layout.S_IFCHR),
  BLOCK_DEVICE(Layout.S_IFBLK),
  FIFO(Layout.S_IFIFO),
  SOCKET(Layout.S_IFSOCK);

  private final int bits;

  InodeType(int bits) {
    this.bits = bits;
  }

  /** The {@code S_IFMT} bits of this type. */
  public int modeBits() {
    return bits;
  }

  /** The type of a full {@code st_mode}, or null when its type bits name no known type. */
  static InodeType ofMode(int mode) {
    int t = mode & Layout.S_IFMT;
    for (InodeType type : values()) {
      if (type.bits == t) {
        return type;
      }
    }
    return null;
  }
}
