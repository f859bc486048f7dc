package io.fastpull.systemd;

import java.nio.charset.StandardCharsets;

/**
 * Where the service manager listens for notifications, as {@code $NOTIFY_SOCKET} names it: a
 * filesystem path ({@code /run/systemd/notify}) or, with a leading {@code @}, a name in Linux's
 * abstract socket namespace.
 *
 * @param value the variable's value, exactly as set
 */
record NotifyAddress(String value) {
  /** {@code sizeof(sockaddr_un.sun_path)} on Linux. */
  static final int MAX_PATH = 108;

  NotifyAddress {
    if (value == null || !(value.startsWith("/") || value.startsWith("@"))) {
      throw new IllegalArgumentException("NOTIFY_SOCKET=" + value
          + " is neither an absolute path nor an abstract socket name (@NAME)");
    }
    if (value.length() < 2) {
      throw new IllegalArgumentException("NOTIFY_SOCKET=" + value + " names no socket");
    }
    if (value.getBytes(StandardCharsets.UTF_8).length + 1 > MAX_PATH) {
      throw new IllegalArgumentException("NOTIFY_SOCKET=" + value + " is longer than "
          + (MAX_PATH - 1) + " bytes");
    }
  }

  boolean isAbstract() {
    return value.startsWith("@");
  }

  /**
   * The bytes of {@code sun_path} that count: the path with its terminating NUL, or for an
   * abstract name a leading NUL and the name without one (its length is the address length).
   */
  byte[] sunPath() {
    byte[] name = value.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[name.length + 1];
    if (isAbstract()) {
      System.arraycopy(name, 1, out, 1, name.length - 1); // out[0] stays NUL
      return java.util.Arrays.copyOf(out, name.length);
    }
    System.arraycopy(name, 0, out, 0, name.length);
    return out;
  }
}
