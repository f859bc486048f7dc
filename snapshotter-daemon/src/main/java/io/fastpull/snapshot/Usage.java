package io.fastpull.snapshot;

/** Disk resources a snapshot takes: bytes and inodes, both non-negative. */
public record Usage(long size, long inodes) {
  public Usage {
    if (size < 0 || inodes < 0) {
      throw new IllegalArgumentException("usage must be non-negative: size=" + size + " inodes=" + inodes);
    }
  }
}
