package io.fastpull.remote;

import io.fastpull.blob.ChunkSource;
import io.fastpull.format.BlobSource;
import java.io.IOException;

/** Lets the format library read a blob (its metadata region) through a {@link ChunkSource}. */
record ChunkSourceBlob(ChunkSource source) implements BlobSource {
  @Override
  public long size() throws IOException {
    return source.size();
  }

  @Override
  public void readFully(long offset, byte[] dst, int dstOffset, int length) throws IOException {
    source.read(offset, dst, dstOffset, length);
  }
}
