package io.fastpull.systemd;

import java.io.IOException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Sends one datagram over a fresh {@code AF_UNIX}/{@code SOCK_DGRAM} socket, optionally with file
 * descriptors attached ({@code SCM_RIGHTS}): what {@code sd_pid_notify_with_fds(3)} does. The
 * structures are laid out by hand for 64-bit Linux ({@code msghdr} 56 bytes, {@code iovec} 16,
 * {@code cmsghdr} header 16); {@link #requireSupported()} refuses anything else.
 */
final class UnixDatagram {
  static final int SOCKADDR_UN_SIZE = 110;
  static final int MSGHDR_SIZE = 56;
  static final int IOVEC_SIZE = 16;
  static final int CMSG_HEADER = 16;

  private UnixDatagram() {}

  static void requireSupported() throws IOException {
    String os = System.getProperty("os.name");
    if (!"Linux".equals(os) || Runtime.getSystemRuntime().addressSize() != 8) {
      throw new IOException("notify socket: only 64-bit Linux is supported, not " + os + " "
          + System.getProperty("os.arch"));
    }
  }

  /**
   * Sends {@code payload} to {@code to} in one datagram with {@code fds} attached (none when
   * empty). The caller keeps its descriptors; the receiver gets duplicates.
   *
   * @throws IOException naming the failed call and errno, e.g. ECONNREFUSED when nothing is bound
   *     at the address, or EMSGSIZE for a payload too large for one datagram
   */
  static void send(NotifyAddress to, byte[] payload, int[] fds) throws IOException {
    requireSupported();
    Libc libc = Libc.get();
    Runtime rt = Runtime.getRuntime(libc);
    int fd = libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw failure("socket(AF_UNIX, SOCK_DGRAM)", to);
    }
    try {
      byte[] path = to.sunPath();
      Pointer addr = Memory.allocateDirect(rt, SOCKADDR_UN_SIZE, true);
      addr.putShort(0, (short) Libc.AF_UNIX);
      addr.put(2, path, 0, path.length);
      Pointer data = Memory.allocateDirect(rt, Math.max(1, payload.length), true);
      data.put(0, payload, 0, payload.length);
      Pointer iov = Memory.allocateDirect(rt, IOVEC_SIZE, true);
      iov.putAddress(0, data.address());
      iov.putLong(8, payload.length);
      Pointer control = null;
      if (fds.length > 0) {
        control = Memory.allocateDirect(rt, cmsgSpace(fds.length), true);
        control.putLong(0, CMSG_HEADER + 4L * fds.length); // CMSG_LEN
        control.putInt(8, Libc.SOL_SOCKET);
        control.putInt(12, Libc.SCM_RIGHTS);
        for (int i = 0; i < fds.length; i++) {
          control.putInt(CMSG_HEADER + 4L * i, fds[i]);
        }
      }
      Pointer msg = Memory.allocateDirect(rt, MSGHDR_SIZE, true);
      msg.putAddress(0, addr.address());
      msg.putInt(8, 2 + path.length);
      msg.putAddress(16, iov.address());
      msg.putLong(24, 1);
      if (control != null) {
        msg.putAddress(32, control.address());
        msg.putLong(40, cmsgSpace(fds.length));
      }
      long sent;
      do {
        sent = libc.sendmsg(fd, msg, Libc.MSG_NOSIGNAL);
      } while (sent < 0 && Libc.errno() == Libc.EINTR);
      if (sent < 0) {
        throw failure("sendmsg", to);
      }
      if (sent != payload.length) {
        throw new IOException("sendmsg to " + to.value() + ": sent " + sent + " of "
            + payload.length + " bytes");
      }
    } finally {
      libc.close(fd);
    }
  }

  /** {@code CMSG_SPACE(4 * n)}: the header and the fds, padded to 8 bytes. */
  static int cmsgSpace(int fdCount) {
    return CMSG_HEADER + ((4 * fdCount + 7) & ~7);
  }

  private static IOException failure(String call, NotifyAddress to) {
    int errno = Libc.errno();
    return new IOException(call + " to " + to.value() + " failed: " + Libc.get().strerror(errno)
        + " (errno " + errno + ")");
  }
}
