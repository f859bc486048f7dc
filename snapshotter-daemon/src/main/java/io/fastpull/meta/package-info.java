/**
 * Durable snapshot metadata in SQLite: records (key, kind, parent, labels, timestamps, usage) and
 * explicit transactions. Knows nothing of containerd semantics, mounts or gRPC; the {@code
 * snapshot} package decides what an operation means and calls this package to persist it.
 */
package io.fastpull.meta;
