package io.fastpull.daemon;

/** Log levels the daemon accepts, as SLF4J names them; from most to least verbose. */
public enum LogLevel {
  TRACE,
  DEBUG,
  INFO,
  WARN,
  ERROR
}
