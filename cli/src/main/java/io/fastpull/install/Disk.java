package io.fastpull.install;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/** Whole-file writes that readers never see half done (temp file in the same dir, then rename). */
final class Disk {
  private Disk() {}

  /** Writes {@code bytes} to {@code target} atomically with {@code mode} (e.g. "rw-r--r--"). */
  static void write(Path target, byte[] bytes, String mode) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
    try {
      Files.write(tmp, bytes);
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
      try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** The POSIX mode of {@code file} as "rwxr-xr-x", or {@code fallback} if it does not exist. */
  static String modeOf(Path file, String fallback) throws IOException {
    if (!Files.exists(file)) {
      return fallback;
    }
    Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
    return PosixFilePermissions.toString(p);
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256 in this JDK", e);
    }
  }

  static boolean sameContent(Path a, Path b) throws IOException {
    return Files.exists(a) && Files.exists(b) && Files.mismatch(a, b) == -1;
  }
}
