/**
 * Read-only FUSE filesystems over lazy layers, for overlayfs to stack as lower directories.
 *
 * <p>{@link io.fastpull.fuse.LayerMounter} is the entry point. The filesystem's logic ({@code
 * LayerFs}: attributes, lookups, listings, reads, links, xattrs in terms of inode numbers and
 * byte arrays) knows nothing of the FUSE binding; one adapter ({@code JnrFuseMount}) translates
 * to jnr-fuse and is the only place where exceptions become errno values, so a later binding
 * (a FUSE session over {@code /dev/fuse}) replaces the adapter alone.
 *
 * <p>Depends on {@code io.fastpull.format} and {@code io.fastpull.blob}; must never depend on the
 * registry client, gRPC or the daemon.
 */
package io.fastpull.fuse;
