/**
 * Remote (lazy) layers: finds out whether a layer that containerd is about to unpack is a fastpull
 * lazy blob, fetches its metadata, and mounts it with fuse-fs over ranged registry reads.
 *
 * <p>This package is where the registry client meets fuse-fs: fuse-fs owns the {@link
 * io.fastpull.blob.ChunkSource} seam and {@link RegistryChunkSource} implements it here, so
 * fuse-fs never depends on the registry client. Only {@link FuseLayerMounter} is public; the
 * snapshotter sees it through {@link io.fastpull.snapshot.LayerMounter}.
 */
package io.fastpull.remote;
