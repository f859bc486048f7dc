package io.fastpull.blob;

import io.fastpull.format.ChunkInfo;
import java.util.concurrent.CompletableFuture;

/**
 * One chunk being fetched, shared by every read that waits for it. {@link #request} is set once
 * the chunk's run is formed, a moment after the chunk is registered.
 */
final class PendingChunk {
  final ChunkInfo chunk;
  final CompletableFuture<byte[]> future = new CompletableFuture<>();
  volatile ChunkRequest request;

  PendingChunk(ChunkInfo chunk) {
    this.chunk = chunk;
  }
}
