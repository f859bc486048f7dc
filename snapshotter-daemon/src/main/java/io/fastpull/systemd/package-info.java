/**
 * The service manager's side of the daemon: readiness, status and stopping notifications to
 * systemd's notify socket ({@code $NOTIFY_SOCKET}, as {@code sd_notify(3)} sends them), with file
 * descriptors attached where a message carries some (the fd store).
 *
 * <p>The JDK has no Unix datagram sockets and no {@code SCM_RIGHTS}, so {@link UnixDatagram}
 * calls libc through jnr-ffi. Public: {@link ServiceNotifier} only. Depends on nothing else of
 * fastpull.
 */
package io.fastpull.systemd;
