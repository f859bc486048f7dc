package io.fastpull.cli;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A file a command writes, staged next to its target under a hidden temporary name and renamed
 * over the target only by {@link #commit()}: until then the target keeps what it held (or stays
 * absent), and {@link #close()} without a commit removes the staging file, so a failure leaves
 * nothing half-written.
 *
 * <p>Every error names the target, the path the user gave, never the staging file. The target's
 * directory must exist: like {@code cp} and {@code tar -f}, a command does not create it (a typo
 * in a path should fail, not grow a tree).
 *
 * <p>Not thread-safe. {@code close()} is idempotent.
 */
final class StagedFile implements Closeable {
  private final Path target;
  private final Path staging;
  private final OutputStream out;
  private boolean done;

  private StagedFile(Path target, Path staging, OutputStream out) {
    this.target = target;
    this.staging = staging;
    this.out = out;
  }

  /**
   * Checks that {@code target} can be written and opens its staging file.
   *
   * @throws IOException naming {@code target} if its directory is missing, it is a directory, or
   *     the staging file cannot be created there
   */
  static StagedFile create(Path target) throws IOException {
    Path abs = target.toAbsolutePath().normalize();
    Path dir = abs.getParent();
    if (dir == null) {
      throw new WriteFailure("cannot write " + target + ": it is the root directory", null);
    }
    requireDirectory(target, dir);
    if (Files.isDirectory(abs)) {
      throw new WriteFailure("cannot write " + target + ": it is a directory; give the path of "
          + "the file to write", null);
    }
    Path staging;
    try {
      staging = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".wip");
    } catch (IOException e) {
      throw failure(target, e);
    }
    try {
      OutputStream out = new BufferedOutputStream(Files.newOutputStream(staging), 1 << 20);
      return new StagedFile(target, staging, out);
    } catch (IOException e) {
      Files.deleteIfExists(staging);
      throw failure(target, e);
    }
  }

  /**
   * Fails naming {@code target} unless {@code dir}, the directory it goes into, exists.
   *
   * @throws IOException if {@code dir} is missing or not a directory
   */
  static void requireDirectory(Path target, Path dir) throws IOException {
    if (!Files.exists(dir)) {
      throw new WriteFailure("cannot write " + target + ": directory " + dir
          + " does not exist; create it first", null);
    }
    if (!Files.isDirectory(dir)) {
      throw new WriteFailure("cannot write " + target + ": " + dir + " is not a directory",
          null);
    }
  }

  /** Where the content goes. Write errors name the target. */
  OutputStream stream() {
    return new FilterOutputStream(out) {
      @Override
      public void write(int b) throws IOException {
        try {
          out.write(b);
        } catch (IOException e) {
          throw failure(target, e);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          out.write(b, off, len);
        } catch (IOException e) {
          throw failure(target, e);
        }
      }

      @Override
      public void flush() throws IOException {
        try {
          out.flush();
        } catch (IOException e) {
          throw failure(target, e);
        }
      }

      @Override
      public void close() {
        // closed by the StagedFile
      }
    };
  }

  /**
   * Flushes the content and renames it over the target.
   *
   * @throws IOException naming the target if the content cannot be saved
   * @throws IllegalStateException if already committed or closed
   */
  void commit() throws IOException {
    if (done) {
      throw new IllegalStateException("staged file for " + target + " already finished");
    }
    try {
      out.close();
      Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw failure(target, e);
    }
    done = true;
  }

  /** Removes the staging file unless committed. Idempotent. */
  @Override
  public void close() throws IOException {
    if (done) {
      return;
    }
    done = true;
    try {
      out.close();
    } catch (IOException ignored) {
      // the content is discarded anyway
    } finally {
      Files.deleteIfExists(staging);
    }
  }

  /**
   * Writing the target failed. Its message names the target and says why; callers pass it on
   * as is, while they prefix other failures with the input they were reading.
   */
  static final class WriteFailure extends IOException {
    private static final long serialVersionUID = 1L;

    WriteFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** An I/O failure on the staging file, told in terms of the target. */
  static WriteFailure failure(Path target, IOException e) {
    return new WriteFailure("cannot write " + target + ": " + reason(e), e);
  }

  /** Why an I/O call failed, without the path it failed on (which may be the staging file). */
  static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof FileSystemException f) {
      return f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
