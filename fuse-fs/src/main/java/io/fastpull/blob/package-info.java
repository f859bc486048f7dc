/**
 * Fetching chunk data of lazy blobs: the {@link io.fastpull.blob.ChunkSource} seam (where stored
 * bytes come from: a local file here, a registry's ranged GET in the daemon) and the {@link
 * io.fastpull.blob.ChunkReader} on top of it that merges, de-duplicates, reads ahead, times out,
 * verifies and caches.
 *
 * <p>Owns the source seam; depends on {@code io.fastpull.format} (chunk table and codec) and
 * {@code io.fastpull.cache}. Must never depend on FUSE, the registry client or gRPC: the registry
 * plugs in by implementing {@link io.fastpull.blob.ChunkSource}.
 */
package io.fastpull.blob;
