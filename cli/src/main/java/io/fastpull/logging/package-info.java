/**
 * The program's logging backend (logback), set up in code rather than by a file: the daemon's log
 * ({@link io.fastpull.logging.LogStyle#TEXT timestamped text} or {@link
 * io.fastpull.logging.LogStyle#JSON JSON lines}) and, for every other command, short warnings to
 * stderr that stay out of the way of what the command prints. Depends on SLF4J, logback and
 * Jackson's core only; nothing else in the program depends on logback.
 */
package io.fastpull.logging;
