/**
 * The daemon: configuration (the TOML keys, each with a flag, in {@link
 * io.fastpull.daemon.ConfigKey}), lifecycle (start checks and the root lock, restart recovery,
 * graceful shutdown) and the command-line entry point {@link io.fastpull.daemon.SnapshotterDaemon}.
 * Wires {@code meta}, {@code snapshot}, {@code grpc} and {@code metrics}; holds no snapshot logic
 * and no logging backend (the {@code fastpull} command chooses it).
 */
package io.fastpull.daemon;
