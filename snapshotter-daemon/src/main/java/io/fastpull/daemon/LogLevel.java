package io.fastpull.daemon;

/** Log levels the daemon accepts, as SLF4J names them. */
public enum LogLevel {
  TRACE,
  DEBUG,
  INFO,
  WARN,
  ERROR
}
