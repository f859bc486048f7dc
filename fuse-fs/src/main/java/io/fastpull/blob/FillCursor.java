package io.fastpull.blob;

import io.fastpull.format.ChunkInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Walks a background fill's chunk list, handing out runs of adjacent chunks that still need
 * fetching, one request's worth at a time, so that a fill of thousands of chunks never queues
 * them all. Not thread-safe: its {@link FetchQueue} calls it under its lock.
 */
final class FillCursor {
  private final List<ChunkInfo> chunks;
  private final long maxRunBytes;
  private final Predicate<ChunkInfo> needed;
  private final Function<ChunkInfo, PendingChunk> register;
  private int next;

  /**
   * @param needed whether a chunk is neither held, nor cached, nor being fetched
   * @param register registers a chunk as pending, or returns null when another fetch got there
   *     first
   */
  FillCursor(List<ChunkInfo> chunks, long maxRunBytes, Predicate<ChunkInfo> needed,
      Function<ChunkInfo, PendingChunk> register) {
    this.chunks = List.copyOf(chunks);
    this.maxRunBytes = maxRunBytes;
    this.needed = needed;
    this.register = register;
  }

  /** The next run, its chunks registered as pending; null when the list is done. */
  List<PendingChunk> nextRun() {
    List<PendingChunk> run = new ArrayList<>();
    long bytes = 0;
    while (next < chunks.size()) {
      ChunkInfo c = chunks.get(next);
      if (!needed.test(c)) {
        next++;
        if (run.isEmpty()) {
          continue;
        }
        break;
      }
      if (!run.isEmpty() && (run.get(run.size() - 1).chunk.compressedEnd() != c.compressedOffset()
          || bytes + c.compressedSize() > maxRunBytes)) {
        break;
      }
      PendingChunk p = register.apply(c);
      next++;
      if (p == null) {
        break;
      }
      run.add(p);
      bytes += c.compressedSize();
    }
    return run.isEmpty() ? null : run;
  }
}
