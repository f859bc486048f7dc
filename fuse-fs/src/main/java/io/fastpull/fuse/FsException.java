package io.fastpull.fuse;

import java.io.IOException;

/** A filesystem request that has a definite errno answer (not a fault). */
final class FsException extends IOException {
  private static final long serialVersionUID = 1L;

  private final Errno errno;

  FsException(Errno errno, String message) {
    super(message);
    this.errno = errno;
  }

  Errno errno() {
    return errno;
  }
}
