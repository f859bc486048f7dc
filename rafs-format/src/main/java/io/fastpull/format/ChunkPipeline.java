package io.fastpull.format;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * Hashes and compresses chunks on an executor and writes them to the blob in submission order.
 *
 * <p>Memory is bounded: at most {@code maxInFlight} chunks are being compressed or waiting to be
 * written, and their buffers come from a fixed pool of {@code maxInFlight + 2} arrays (the two
 * extra are the one the chunker fills and the open small-file batch). A chunk whose digest was
 * already written is not written again: its handle resolves to the earlier chunk's index.
 *
 * <p>Driven by one thread (the writer's); compression runs on the executor.
 */
final class ChunkPipeline {
  private final OutputStream out;
  private final Executor executor;
  private final int maxInFlight;
  private final BlockingQueue<byte[]> buffers;
  private final BlockingQueue<Compressor> contexts;
  private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
  private final Map<ByteBuffer, Integer> byDigest = new HashMap<>();
  private final List<ChunkInfo> chunks = new ArrayList<>();
  private long written;
  private long dedupedChunks;

  private record InFlight(byte[] buffer, ChunkHandle handle, CompletableFuture<Encoded> result) {}

  private record Encoded(byte[] digest, byte[] stored, int length, boolean raw) {}

  /** A native zstd context with its own output buffer, used by one task at a time. */
  private record Compressor(ZstdCompressCtx ctx, byte[] scratch) {}

  ChunkPipeline(OutputStream out, Executor executor, int chunkSize, int level, int threads) {
    this.out = out;
    this.executor = executor;
    this.maxInFlight = Math.max(2, threads * 2);
    this.buffers = new ArrayBlockingQueue<>(maxInFlight + 2);
    for (int i = 0; i < maxInFlight + 2; i++) {
      buffers.add(new byte[chunkSize]);
    }
    int ctxCount = Math.max(1, threads);
    this.contexts = new ArrayBlockingQueue<>(ctxCount);
    for (int i = 0; i < ctxCount; i++) {
      ZstdCompressCtx ctx = new ZstdCompressCtx();
      ctx.setLevel(level);
      ctx.setContentSize(true);
      ctx.setChecksum(false);
      contexts.add(new Compressor(ctx, new byte[(int) Zstd.compressBound(chunkSize)]));
    }
  }

  /** A chunk-sized buffer to fill; give it back through {@link #submit} or {@link #returnBuffer}. */
  byte[] takeBuffer() throws IOException {
    byte[] b = buffers.poll();
    while (b == null) {
      if (inFlight.isEmpty()) {
        throw new IllegalStateException("chunk buffer pool exhausted with nothing in flight");
      }
      drainOne();
      b = buffers.poll();
    }
    return b;
  }

  void returnBuffer(byte[] buffer) {
    buffers.add(buffer);
  }

  /** Queues {@code length} bytes of {@code buffer} (which the pipeline now owns) as one chunk. */
  void submit(byte[] buffer, int length, ChunkHandle handle) throws IOException {
    while (inFlight.size() >= maxInFlight) {
      drainOne();
    }
    CompletableFuture<Encoded> f = CompletableFuture.supplyAsync(() -> encode(buffer, length), executor);
    inFlight.add(new InFlight(buffer, handle, f));
  }

  /** Writes every queued chunk; afterwards {@link #chunks()} is complete. */
  void finish() throws IOException {
    while (!inFlight.isEmpty()) {
      drainOne();
    }
  }

  /** Releases native compression contexts; queued work must have been finished first. */
  void close() {
    Compressor c;
    while ((c = contexts.poll()) != null) {
      c.ctx().close();
    }
  }

  List<ChunkInfo> chunks() {
    return chunks;
  }

  /** Bytes of chunk data written to the blob so far. */
  long written() {
    return written;
  }

  long dedupedChunks() {
    return dedupedChunks;
  }

  private Encoded encode(byte[] buffer, int length) {
    MessageDigest md = Digests.sha256();
    md.update(buffer, 0, length);
    byte[] digest = md.digest();
    Compressor c;
    try {
      c = contexts.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new InterruptedIOException("interrupted while compressing"));
    }
    try {
      byte[] dst = c.scratch();
      int n = c.ctx().compressByteArray(dst, 0, dst.length, buffer, 0, length);
      if (n >= length) {
        // Incompressible (weights, media): storing raw saves the reader a useless decompression.
        return new Encoded(digest, java.util.Arrays.copyOf(buffer, length), length, true);
      }
      return new Encoded(digest, java.util.Arrays.copyOf(dst, n), length, false);
    } finally {
      contexts.add(c);
    }
  }

  private void drainOne() throws IOException {
    InFlight f = inFlight.poll();
    Encoded e;
    try {
      e = f.result.join();
    } catch (CompletionException ce) {
      Throwable cause = ce.getCause();
      if (cause instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      throw new IOException("chunk compression failed", cause);
    } finally {
      buffers.add(f.buffer);
    }
    ByteBuffer key = ByteBuffer.wrap(e.digest);
    Integer index = byDigest.get(key);
    if (index == null) {
      index = chunks.size();
      out.write(e.stored);
      chunks.add(new ChunkInfo(index, written, e.stored.length, e.length, e.raw, e.digest));
      written += e.stored.length;
      byDigest.put(key, index);
    } else {
      dedupedChunks++;
    }
    f.handle.resolve(index);
  }
}
