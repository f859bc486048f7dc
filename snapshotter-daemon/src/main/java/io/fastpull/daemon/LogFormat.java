package io.fastpull.daemon;

/** How the daemon writes its log: timestamped text lines, or one JSON object a line. */
public enum LogFormat {
  /** {@code 2026-12-02T14:45:36.123Z INFO  Logger: message key=value}, for people and journald. */
  TEXT,
  /** {@code {"time":...,"level":...,"logger":...,"thread":...,"message":...}}, for log shippers. */
  JSON
}
