/**
 * Installing fastpull on a host and taking it off again: the containerd config edit (done on the
 * text, so the user's comments and layout survive, and checked with a TOML parser before and
 * after), the files under a prefix, the systemd unit or background daemon, the manifest that lets
 * {@code uninstall} revert exactly what {@code install} did, and {@code clean} (fastpull images,
 * containers, snapshots and the chunk cache, through {@code ctr}).
 *
 * <p>Depends on the daemon's config ({@code io.fastpull.daemon.DaemonConfig}) and Jackson; never on
 * picocli (the commands in {@code io.fastpull.cli} are thin adapters).
 */
package io.fastpull.install;
