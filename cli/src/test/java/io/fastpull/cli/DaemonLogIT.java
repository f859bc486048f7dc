package io.fastpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's log: timestamped text lines by default, one JSON object a line on request. */
class DaemonLogIT {
  private static final Pattern TEXT_LINE = Pattern.compile(
      "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR) \\w+: .*");

  @TempDir Path dir;

  private DaemonProcess daemon(String... more) throws Exception {
    Path sock = dir.resolve("s.sock");
    List<String> args = new java.util.ArrayList<>(List.of("--root", dir.resolve("root").toString(),
        "--socket", sock.toString(), "--metrics-address", "disabled", "--lazy=false"));
    args.addAll(List.of(more));
    return DaemonProcess.start(dir.resolve("daemon.log"), args.toArray(String[]::new))
        .awaitSocket(sock);
  }

  /** The log up to the line saying the daemon started (written after the socket is served). */
  private static List<String> startLines(DaemonProcess d, String marker) throws Exception {
    for (int i = 0; i < 600 && !d.log().contains(marker); i++) {
      Thread.sleep(100);
    }
    assertTrue(d.log().contains(marker), d::log);
    return d.log().lines().toList();
  }

  @Test
  void textLinesStartWithAUtcTimestampAndLevel() throws Exception {
    try (DaemonProcess d = daemon()) {
      List<String> lines = startLines(d, "daemon started");
      assertFalse(lines.isEmpty());
      for (String line : lines) {
        assertTrue(TEXT_LINE.matcher(line).matches(), () -> "line: " + line + "\nlog:\n" + d.log());
      }
      assertTrue(lines.stream().anyMatch(l -> l.contains(" INFO  SnapshotterDaemon: daemon started version=")
          && l.contains(" root=")),
          d::log);
    }
  }

  @Test
  void jsonIsOneObjectALine() throws Exception {
    ObjectMapper json = new ObjectMapper();
    try (DaemonProcess d = daemon("--log-format", "json", "--log-level", "debug")) {
      List<String> lines = startLines(d, "daemon started");
      boolean started = false;
      for (String line : lines) {
        JsonNode o = json.readTree(line);
        assertTrue(o.isObject(), line);
        for (String field : List.of("time", "level", "logger", "thread", "message")) {
          assertTrue(o.hasNonNull(field), () -> field + " missing: " + line);
        }
        assertTrue(o.get("time").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"),
            line);
        if (o.get("message").asText().startsWith("daemon started")) {
          started = true;
          assertEquals("INFO", o.get("level").asText());
          assertEquals("io.fastpull.daemon.SnapshotterDaemon", o.get("logger").asText());
        }
      }
      assertTrue(started, d::log);
      assertTrue(lines.stream().anyMatch(l -> l.contains("\"level\":\"DEBUG\"")), d::log);
    }
  }
}
