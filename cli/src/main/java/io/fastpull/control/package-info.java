/**
 * A client of the fastpull daemon's control service ({@code fastpull.control.v1.Control}, on the
 * daemon's snapshotter socket): per-layer fetch counters of mounted lazy layers and their access
 * traces, translated from the wire messages into values once, here.
 *
 * <p>Depends on the control proto and gRPC's Netty transport (epoll, Unix domain sockets); never
 * on the daemon's internals, on containerd or on picocli.
 */
package io.fastpull.control;
