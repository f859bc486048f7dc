package io.fastpull.systemd;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The libc calls a Unix datagram socket needs, bound through jnr-ffi. Errors are returned as -1
 * with errno saved ({@link #errno()}), as libc does. Public only because jnr-ffi generates the
 * implementation in a class loader of its own; not for use outside this package.
 */
public interface Libc {
  int AF_UNIX = 1;
  int SOCK_DGRAM = 2;
  int SOCK_CLOEXEC = 0x80000;
  int SOL_SOCKET = 1;
  int SCM_RIGHTS = 1;
  int EINTR = 4;
  int MSG_NOSIGNAL = 0x4000;

  int socket(int domain, int type, int protocol);

  int bind(int fd, Pointer address, int length);

  long sendmsg(int fd, Pointer message, int flags);

  long recvmsg(int fd, Pointer message, int flags);

  int close(int fd);

  String strerror(int errnum);

  /** The library, loaded on first use. */
  static Libc get() {
    return Holder.LIBC;
  }

  /** errno of the last failed call on this thread. */
  static int errno() {
    return Runtime.getRuntime(Holder.LIBC).getLastError();
  }

  /** The layout constants assume 64-bit Linux (x86-64, aarch64): the same msghdr there. */
  /** Holds the library, loaded on first use. */
  final class Holder {
    static final Libc LIBC = LibraryLoader.create(Libc.class).load("c");

    private Holder() {}
  }
}
