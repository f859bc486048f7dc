package io.fastpull.blob;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.IntConsumer;

/**
 * Where the stored bytes of one lazy blob come from: "give me bytes [offset, offset + len) of blob
 * B". A local file in tests and tools; ranged HTTP GETs against a registry in the daemon.
 *
 * <p>The bytes returned are untrusted: the {@link ChunkReader} verifies every chunk against its
 * digest, so a source never needs to. Implementations must be safe for concurrent use by several
 * threads, should honour thread interruption (a reader that gives up on a stalled request
 * interrupts it) and should bound their own waits. {@link #close()} is idempotent.
 */
public interface ChunkSource extends Closeable {
  /**
   * Reads exactly {@code len} bytes of the blob starting at {@code offset} into {@code dst}.
   *
   * @throws java.io.EOFException if the blob ends first
   * @throws java.io.InterruptedIOException if interrupted while waiting
   * @throws IOException on any other failure (the read is retried by a later request, not here)
   */
  void read(long offset, byte[] dst, int dstOff, int len) throws IOException;

  /**
   * Like {@link #read(long, byte[], int, int)}, calling {@code arrived} (on this thread) with the
   * number of bytes of {@code dst} filled so far as they come in, so that the caller can use the
   * first chunks of a long range before the rest has arrived. A count may start again from 0
   * (a retried transfer rewrites the same bytes). The default reports once, at the end.
   */
  default void read(long offset, byte[] dst, int dstOff, int len, IntConsumer arrived)
      throws IOException {
    read(offset, dst, dstOff, len);
    arrived.accept(len);
  }

  /** Total size of the blob in bytes. */
  long size() throws IOException;

  /**
   * A short, secret-free description for logs and error messages, e.g. {@code file:/path} or
   * {@code registry:host/repo@sha256:...}.
   */
  String describe();

  @Override
  default void close() throws IOException {}

  /** A source over a local blob file, opened for positional reads; close it to release the fd. */
  static ChunkSource file(Path blob) throws IOException {
    return new FileChunkSource(blob);
  }
}
