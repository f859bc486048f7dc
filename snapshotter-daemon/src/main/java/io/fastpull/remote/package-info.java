/**
 * Remote (lazy) layers: finds out whether a layer that containerd is about to unpack is a fastpull
 * lazy blob, fetches its metadata, and mounts it with fuse-fs over ranged registry reads.
 *
 * <p>This package is where the registry client meets fuse-fs: fuse-fs owns the {@link
 * io.fastpull.blob.ChunkSource} seam and {@link RegistryChunkSource} implements it here, so
 * fuse-fs never depends on the registry client. Public: {@link FuseLayerMounter}, which the
 * snapshotter sees through {@link io.fastpull.snapshot.LayerMounter}, and the {@link LazyLayers}
 * view of what it mounted ({@link LayerStatus}, {@link PrefetchSource}) for the control service.
 * Mounted layers are warmed from the image's startup profile ({@link
 * io.fastpull.profile.ProfileResolver}) or the blob's prefetch table.
 */
package io.fastpull.remote;
