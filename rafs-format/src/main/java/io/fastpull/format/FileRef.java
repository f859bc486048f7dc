package io.fastpull.format;

/** A run of one file's bytes inside one (not yet numbered) chunk. */
record FileRef(ChunkHandle chunk, int offsetInChunk, int length) {}
