/**
 * The node's chunk cache: {@link io.fastpull.cache.ChunkCache} and its on-disk implementation
 * {@link io.fastpull.cache.DirectoryChunkCache}, content-addressed by the sha256 of a chunk's
 * uncompressed bytes, so a chunk shared by layers or images is stored once.
 *
 * <p><b>Stored form: decompressed.</b> Measured on this project's 2-core test machine with a
 * 256 MiB file of mixed data in 1 MiB chunks ({@code MountBench}): serving a hit costs about the
 * same CPU either way (read + sha256 of the decompressed file 1.01 ms/MiB; zstd decode + sha256
 * of the compressed bytes, already in memory, 0.97 ms/MiB: sha256 dominates), while the compressed
 * form would use about half the disk on that data. The decompressed form is kept because (1) the
 * entry's bytes are exactly what its address names, so a hit is checked by one sha256 of the
 * file, whichever blob or zstd level produced it; (2) a later FUSE session with passthrough (or
 * splice) can hand the kernel a cache file as it is; (3) the capacity bounds the disk cost.
 *
 * <p><b>Integrity: verify on write and on every read.</b> Entries are written only with bytes
 * that {@link io.fastpull.format.ChunkCodec} has verified, and every read checks the sha256
 * again, so a damaged disk or a tampered file is dropped and fetched again, never served.
 *
 * <p>Depends on {@code io.fastpull.format} only; must not depend on fetching ({@code
 * io.fastpull.blob}), FUSE or the registry client.
 */
package io.fastpull.cache;
