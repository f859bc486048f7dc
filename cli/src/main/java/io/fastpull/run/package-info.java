/**
 * {@code fastpull run}: pulls an image (lazily through fastpull, or fully through containerd's
 * overlayfs snapshotter for comparison), starts a container from it with {@code nerdctl} or
 * {@code ctr}, streams its output with elapsed-time stamps and measures named phases (start,
 * first log line, readiness, completion, and log patterns); in lazy mode it then asks the fastpull
 * daemon's control service what each lazy layer fetched.
 *
 * <p>Depends on {@link io.fastpull.pull} for the lazy pull, on {@link io.fastpull.control} for the
 * layer counters and on the container CLIs as external processes; never on the daemon's internals
 * or on picocli.
 */
package io.fastpull.run;
