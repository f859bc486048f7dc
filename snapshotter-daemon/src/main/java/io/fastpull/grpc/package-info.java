/**
 * The gRPC edge: containerd's snapshots service over a Unix socket, a thin adapter over {@link
 * io.fastpull.snapshot.Snapshotter}. The one place where snapshot error codes become gRPC status
 * codes. Holds no snapshot logic.
 */
package io.fastpull.grpc;
