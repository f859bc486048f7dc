package io.fastpull.format;

/**
 * A chunk whose place in the chunk table is known only once the pipeline has written (or
 * deduplicated) it. Written by the pipeline's single draining thread, read after it finished.
 */
final class ChunkHandle {
  private int index = -1;

  void resolve(int chunkIndex) {
    if (index >= 0) {
      throw new IllegalStateException("chunk handle resolved twice");
    }
    index = chunkIndex;
  }

  int index() {
    if (index < 0) {
      throw new IllegalStateException("chunk handle read before the pipeline drained it");
    }
    return index;
  }
}
