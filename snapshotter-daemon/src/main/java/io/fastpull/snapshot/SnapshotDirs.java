package io.fastpull.snapshot;

import io.fastpull.meta.Kind;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** The on-disk layout under {@code <root>/snapshots}: one short numeric directory per snapshot. */
final class SnapshotDirs {
  private final Path snapshots;

  SnapshotDirs(Path root) throws IOException {
    this.snapshots = root.resolve("snapshots");
    Files.createDirectories(snapshots);
    Files.setPosixFilePermissions(snapshots, PosixFilePermissions.fromString("rwx------"));
  }

  Path dir(long id) {
    return snapshots.resolve(Long.toString(id));
  }

  /** The layer (committed), upper (active) or mountpoint (remote) directory. */
  Path fs(long id) {
    return dir(id).resolve("fs");
  }

  Path work(long id) {
    return dir(id).resolve("work");
  }

  /** Creates a staging directory with {@code fs} (and {@code work} for active snapshots). */
  Path stage(Kind kind) throws IOException {
    Path td = Files.createTempDirectory(snapshots, "new-");
    Files.createDirectory(td.resolve("fs"));
    Files.setPosixFilePermissions(td.resolve("fs"), PosixFilePermissions.fromString("rwxr-xr-x"));
    if (kind == Kind.ACTIVE) {
      Files.createDirectory(td.resolve("work"));
      Files.setPosixFilePermissions(
          td.resolve("work"), PosixFilePermissions.fromString("rwx--x--x"));
    }
    return td;
  }

  /** Names of entries under {@code snapshots/} that are not in {@code ids}. */
  List<Path> orphans(Set<Long> ids) throws IOException {
    try (Stream<Path> entries = Files.list(snapshots)) {
      return entries.filter(p -> !ids.contains(parseId(p.getFileName().toString()))).toList();
    }
  }

  private static long parseId(String name) {
    try {
      return Long.parseLong(name);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Deletes {@code dir} recursively without following symlinks.
   *
   * @throws IOException if something is still mounted below it (nothing is deleted then)
   */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> mounted = MountTable.mountsUnder(dir);
    if (!mounted.isEmpty()) {
      throw new IOException(
          "refusing to delete " + dir + ": still mounted below it: " + mounted);
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.delete(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Apparent bytes and inodes below {@code dir}, hard links counted once. */
  static Usage usage(Path dir) throws IOException {
    Set<Object> seen = new HashSet<>();
    long[] total = new long[2];
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
            count(attrs);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            count(attrs);
            return FileVisitResult.CONTINUE;
          }

          private void count(BasicFileAttributes attrs) {
            Object key = attrs.fileKey();
            if (key == null || seen.add(key)) {
              total[1]++;
              if (!attrs.isDirectory()) {
                total[0] += attrs.size();
              }
            }
          }
        });
    return new Usage(total[0], total[1]);
  }
}
