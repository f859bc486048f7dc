/**
 * The gRPC edge: containerd's snapshots service over a Unix socket, a thin adapter over {@link
 * io.fastpull.snapshot.Snapshotter}, and fastpull's control service beside it, a thin adapter over
 * {@link io.fastpull.remote.LazyLayers}. {@code Statuses} is the one place where error codes
 * become gRPC status codes. Holds no snapshot logic.
 */
package io.fastpull.grpc;
