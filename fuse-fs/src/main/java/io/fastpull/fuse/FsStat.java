package io.fastpull.fuse;

/**
 * What {@code statfs(2)} reports for a layer.
 *
 * @param blockSize bytes per block
 * @param blocks blocks of chunk data the layer holds
 * @param files inodes
 * @param nameMax longest name in bytes
 */
record FsStat(int blockSize, long blocks, long files, int nameMax) {}
