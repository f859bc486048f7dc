/**
 * {@code fastpull pull}: a lazy pull into containerd through containerd's own gRPC API (content,
 * leases, snapshots, diff and images services), the way containerd's unpacker does it, with the
 * labels that let the fastpull snapshotter mount lazy layers instead of unpacking them.
 *
 * <p>Owns the wire conversation with containerd and the GC and snapshot label vocabulary. Depends
 * on {@code registry-client}, {@code rafs-format} (for the lazy layer annotations) and the
 * containerd protos; never on the daemon's internals or on picocli.
 */
package io.fastpull.pull;
