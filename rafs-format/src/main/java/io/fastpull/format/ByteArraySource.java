package io.fastpull.format;

import java.io.EOFException;

/** A {@link BlobSource} over an array that nobody mutates afterwards. */
final class ByteArraySource implements BlobSource {
  private final byte[] bytes;

  ByteArraySource(byte[] bytes) {
    this.bytes = bytes;
  }

  @Override
  public long size() {
    return bytes.length;
  }

  @Override
  public void readFully(long offset, byte[] dst, int dstOffset, int length) throws EOFException {
    if (offset < 0 || length < 0 || offset > bytes.length - (long) length) {
      throw new EOFException("read " + offset + "+" + length + " past the end of a "
          + bytes.length + "-byte blob");
    }
    System.arraycopy(bytes, (int) offset, dst, dstOffset, length);
  }
}
