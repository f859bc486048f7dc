package io.fastpull.fuse;

/** The Linux errno values this filesystem answers with. */
enum Errno {
  ENOENT(2),
  EIO(5),
  ENOTDIR(20),
  EISDIR(21),
  EINVAL(22),
  EROFS(30),
  ERANGE(34),
  ENODATA(61);

  private final int code;

  Errno(int code) {
    this.code = code;
  }

  /** The positive errno number; FUSE callbacks return its negation. */
  int code() {
    return code;
  }
}
