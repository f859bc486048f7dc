package io.fastpull.systemd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * The service manager's end for tests: a real {@code AF_UNIX} datagram socket bound at an
 * address, receiving messages and the file descriptors attached to them, as systemd does.
 */
final class NotifySocket implements AutoCloseable {
  static final TestLibc LIBC = LibraryLoader.create(TestLibc.class).load("c");
  private static final int MSG_DONTWAIT = 0x40;
  private static final int EAGAIN = 11;

  /** One datagram: its text and the descriptors that came with it (now owned by the test). */
  record Message(String text, List<Integer> fds) {}

  private final int fd;
  final NotifyAddress address;

  private NotifySocket(int fd, NotifyAddress address) {
    this.fd = fd;
    this.address = address;
  }

  static NotifySocket bind(NotifyAddress address) throws IOException {
    Runtime rt = Runtime.getRuntime(LIBC);
    int fd = LIBC.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new IOException("socket: errno " + Runtime.getRuntime(LIBC).getLastError());
    }
    byte[] path = address.sunPath();
    Pointer addr = Memory.allocateDirect(rt, UnixDatagram.SOCKADDR_UN_SIZE, true);
    addr.putShort(0, (short) Libc.AF_UNIX);
    addr.put(2, path, 0, path.length);
    if (LIBC.bind(fd, addr, 2 + path.length) != 0) {
      int errno = Runtime.getRuntime(LIBC).getLastError();
      LIBC.close(fd);
      throw new IOException("bind " + address.value() + ": " + LIBC.strerror(errno));
    }
    return new NotifySocket(fd, address);
  }

  /** The next message, polled for at most {@code millis}; fails when none arrives. */
  Message receive(long millis) throws IOException, InterruptedException {
    Runtime rt = Runtime.getRuntime(LIBC);
    Pointer data = Memory.allocateDirect(rt, 4096, true);
    Pointer iov = Memory.allocateDirect(rt, UnixDatagram.IOVEC_SIZE, true);
    iov.putAddress(0, data.address());
    iov.putLong(8, 4096);
    int controlSize = UnixDatagram.cmsgSpace(16);
    Pointer control = Memory.allocateDirect(rt, controlSize, true);
    Pointer msg = Memory.allocateDirect(rt, UnixDatagram.MSGHDR_SIZE, true);
    long deadline = System.nanoTime() + millis * 1_000_000;
    while (true) {
      msg.putAddress(16, iov.address());
      msg.putLong(24, 1);
      msg.putAddress(32, control.address());
      msg.putLong(40, controlSize);
      long n = LIBC.recvmsg(fd, msg, MSG_DONTWAIT);
      if (n >= 0) {
        byte[] text = new byte[(int) n];
        data.get(0, text, 0, text.length);
        List<Integer> fds = new ArrayList<>();
        long controlLen = msg.getLong(40);
        if (controlLen >= UnixDatagram.CMSG_HEADER) {
          long len = control.getLong(0);
          if (control.getInt(8) == Libc.SOL_SOCKET && control.getInt(12) == Libc.SCM_RIGHTS) {
            for (long off = UnixDatagram.CMSG_HEADER; off + 4 <= len; off += 4) {
              fds.add(control.getInt(off));
            }
          }
        }
        return new Message(new String(text, StandardCharsets.UTF_8), fds);
      }
      int errno = Runtime.getRuntime(LIBC).getLastError();
      if (errno != EAGAIN && errno != Libc.EINTR) {
        throw new IOException("recvmsg: " + LIBC.strerror(errno));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no message within " + millis + " ms");
      }
      Thread.sleep(10);
    }
  }

  /** Whether a message is waiting (without taking it). */
  boolean empty() throws IOException, InterruptedException {
    try {
      receive(0);
      return false;
    } catch (AssertionError none) {
      return true;
    }
  }

  @Override
  public void close() {
    LIBC.close(fd);
  }
}
