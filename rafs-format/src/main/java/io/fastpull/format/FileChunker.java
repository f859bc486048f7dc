package io.fastpull.format;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts file contents into chunks for the {@link ChunkPipeline}.
 *
 * <p>Files of at least {@code batchThreshold} bytes are cut at multiples of the chunk size, each
 * piece its own chunk, so that any file offset maps to a chunk by division. Smaller files are
 * packed together into batch chunks in tar order: 10,000 tiny files then cost a few chunks, not
 * 10,000 frames and 10,000 range requests. Identical small files are stored once; identical
 * large pieces are deduplicated by the pipeline. Not thread-safe.
 */
final class FileChunker {
  private final ChunkPipeline pipeline;
  private final int chunkSize;
  private final int batchThreshold;
  private final Map<ByteBuffer, FileRef> smallFiles = new HashMap<>();
  private final MessageDigest sha256;
  private byte[] batch;
  private int batchUsed;
  private ChunkHandle batchHandle;

  FileChunker(ChunkPipeline pipeline, int chunkSize, int batchThreshold) {
    this.pipeline = pipeline;
    this.chunkSize = chunkSize;
    this.batchThreshold = batchThreshold;
    this.sha256 = Digests.sha256();
  }

  /** Consumes exactly {@code size} bytes of {@code content} and says where they were put. */
  List<FileRef> add(InputStream content, long size) throws IOException {
    if (size == 0) {
      return List.of();
    }
    if (size < batchThreshold) {
      return List.of(addSmall(content, (int) size));
    }
    List<FileRef> refs = new ArrayList<>((int) Math.min((size + chunkSize - 1) / chunkSize, 1 << 20));
    long left = size;
    while (left > 0) {
      int n = (int) Math.min(chunkSize, left);
      byte[] buf = pipeline.takeBuffer();
      readFully(content, buf, 0, n);
      ChunkHandle handle = new ChunkHandle();
      pipeline.submit(buf, n, handle);
      refs.add(new FileRef(handle, 0, n));
      left -= n;
    }
    return refs;
  }

  private FileRef addSmall(InputStream content, int size) throws IOException {
    if (batch != null && batchUsed + size > chunkSize) {
      flush();
    }
    if (batch == null) {
      batch = pipeline.takeBuffer();
      batchUsed = 0;
      batchHandle = new ChunkHandle();
    }
    readFully(content, batch, batchUsed, size);
    sha256.update(batch, batchUsed, size);
    ByteBuffer key = ByteBuffer.wrap(sha256.digest());
    FileRef seen = smallFiles.get(key);
    if (seen != null) {
      return seen; // the bytes just read are overwritten by the next small file
    }
    FileRef ref = new FileRef(batchHandle, batchUsed, size);
    smallFiles.put(key, ref);
    batchUsed += size;
    return ref;
  }

  /** Hands the open batch (if any) to the pipeline. */
  void flush() throws IOException {
    if (batch != null) {
      if (batchUsed > 0) {
        pipeline.submit(batch, batchUsed, batchHandle);
      } else {
        pipeline.returnBuffer(batch);
      }
      batch = null;
      batchHandle = null;
      batchUsed = 0;
    }
  }

  private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
    int n = in.readNBytes(b, off, len);
    if (n != len) {
      throw new EOFException("file content ended after " + n + " of " + len + " bytes");
    }
  }
}
