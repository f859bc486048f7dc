package io.fastpull.format;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** Streams one file of a {@link LayerBlob}, one verified chunk at a time. Not thread-safe. */
final class FileContentStream extends InputStream {
  private final LayerBlob blob;
  private final int ino;
  private final long size;
  private long pos;
  private byte[] chunk;
  private int chunkPos;
  private int chunkEnd;

  FileContentStream(LayerBlob blob, int ino) {
    this.blob = blob;
    this.ino = ino;
    this.size = blob.meta().inode(ino).isFile() ? blob.meta().inode(ino).size() : 0;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (chunk == null || chunkPos == chunkEnd) {
      if (pos >= size) {
        return -1;
      }
      List<ChunkSlice> s = blob.meta().slices(ino, pos, blob.meta().chunkSize());
      ChunkSlice first = s.get(0);
      chunk = blob.readChunk(first.chunk());
      chunkPos = first.offsetInChunk();
      chunkEnd = chunkPos + first.length();
    }
    int n = Math.min(len, chunkEnd - chunkPos);
    System.arraycopy(chunk, chunkPos, b, off, n);
    chunkPos += n;
    pos += n;
    return n;
  }
}
