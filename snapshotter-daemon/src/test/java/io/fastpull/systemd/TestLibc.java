package io.fastpull.systemd;

/** libc calls the tests' receiving side needs besides {@link Libc}'s (public for jnr-ffi). */
public interface TestLibc extends Libc {
  int pipe(int[] fds);

  long write(int fd, byte[] data, long count);

  long read(int fd, byte[] data, long count);
}
