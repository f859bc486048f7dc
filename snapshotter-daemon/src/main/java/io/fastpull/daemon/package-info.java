/**
 * The daemon: configuration, lifecycle (start, restart recovery, graceful shutdown) and the
 * command-line entry point {@link io.fastpull.daemon.SnapshotterDaemon}. Wires {@code meta},
 * {@code snapshot}, {@code grpc} and {@code metrics}; holds no snapshot logic.
 */
package io.fastpull.daemon;
