package io.fastpull.logging;

/** How log lines look on stderr. */
public enum LogStyle {
  /**
   * For the commands people run: {@code fastpull: warning: MESSAGE}; when more than warnings are
   * asked for, {@code 14:45:36.123 DEBUG Logger: MESSAGE}.
   */
  COMMAND,
  /** The daemon's text log: {@code 2026-12-02T14:45:36.123Z INFO  Logger: MESSAGE key=value}. */
  TEXT,
  /** The daemon's JSON log: one object a line, for log shippers. */
  JSON
}
