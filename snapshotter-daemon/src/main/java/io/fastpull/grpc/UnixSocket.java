package io.fastpull.grpc;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Filesystem side of the listening socket: its directory, stale files and permissions. */
final class UnixSocket {
  private static final Logger log = LoggerFactory.getLogger(UnixSocket.class);
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private UnixSocket() {}

  /**
   * Makes the socket's directory (0700, or 0750 with a group, when this creates it) and removes a
   * stale socket file.
   *
   * @throws IOException if the path is not a socket, or a live server answers on it
   */
  static void prepare(Path socket, Optional<String> group) throws IOException {
    Path dir = socket.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(
          dir, PosixFilePermissions.fromString(group.isPresent() ? "rwxr-x---" : "rwx------"));
      group.ifPresent(g -> setGroupQuietly(dir, g));
    }
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException(
          socket + " exists and is not a socket: remove it or configure another socket path");
    }
    if (answers(socket)) {
      throw new IOException(
          "another server is listening on " + socket + ": stop it or configure another socket path");
    }
    Files.delete(socket);
    log.info("stale socket removed path={}", socket);
  }

  private static boolean answers(Path socket) {
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      return probe.isConnected();
    } catch (IOException refused) {
      return false;
    }
  }

  /** Restricts the bound socket to its owner (0600), or owner and {@code group} (0660). */
  static void restrict(Path socket, Optional<String> group) throws IOException {
    if (group.isPresent()) {
      GroupPrincipal g =
          socket.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group.get());
      Files.setAttribute(socket, "posix:group", g);
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
    } else {
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
    }
  }

  private static void setGroupQuietly(Path dir, String group) {
    try {
      GroupPrincipal g =
          dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
      Files.setAttribute(dir, "posix:group", g);
    } catch (IOException e) {
      log.warn("cannot set socket directory group path={} group={} error={}", dir, group, e.toString());
    }
  }
}
