/**
 * Progress of a transfer of image layers, for {@code fastpull convert} and {@code fastpull pull}:
 * the one listener interface ({@link io.fastpull.progress.Progress}) both report to, and the two
 * ways the command line shows it to people: a redrawn status line with bytes, rate and ETA on a
 * terminal ({@link io.fastpull.progress.TerminalProgress}), one line per finished layer otherwise
 * ({@link io.fastpull.progress.LineProgress}).
 *
 * <p>Depends on {@code registry-client}'s {@code Descriptor} only; the converter and the puller
 * depend on it, never the reverse.
 */
package io.fastpull.progress;
