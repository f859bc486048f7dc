/**
 * containerd snapshot semantics over overlayfs: the {@link io.fastpull.snapshot.Snapshotter}
 * contract, mount computation from metadata, label filters, and the {@link
 * io.fastpull.snapshot.LayerMounter} seam for remote (lazy) layers.
 *
 * <p>Vocabulary (as containerd's): a <em>key</em> names an active or view snapshot; a
 * <em>name</em> names a committed one; a <em>parent</em> is always a committed snapshot's name; an
 * <em>id</em> is the short number naming the snapshot's directory {@code snapshots/<id>}, which
 * holds {@code fs} (the upper or layer directory, or the remote layer's mountpoint) and, for active
 * snapshots, {@code work}.
 *
 * <p>Depends on {@code io.fastpull.meta}; must not depend on gRPC, FUSE or the registry client.
 */
package io.fastpull.snapshot;
