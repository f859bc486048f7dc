package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every duration option of every command reads one grammar ({@code 90s}, {@code 5m},
 * {@code 1h30m}; a bare number is seconds), through the real launcher. A containerd socket that
 * does not exist ends a run after its options were read (exit 1), a bad duration before (exit 2).
 */
class CliDurationIT {
  @TempDir static Path dir;

  @Test
  void runAndRecordTakeTheSameDurations() throws Exception {
    String nowhere = dir.resolve("nowhere.sock").toString();
    for (String[] option : new String[][] {{"run", "--timeout"}, {"run", "--readiness-timeout"},
        {"record", "--timeout"}}) {
      for (String value : new String[] {"90", "90s", "5m", "1h30m", "500ms"}) {
        LauncherRun.Result r = fastpull(option[0], "--address", nowhere, option[1], value,
            "127.0.0.1:1/nothing:1").run();
        assertEquals(1, r.exitCode(), () -> String.join(" ", option) + " " + value + ":\n" + r);
        assertFalse(r.stderr().contains("Invalid value"), r.stderr());
      }
      LauncherRun.Result bad = fastpull(option[0], option[1], "5x", "img").run().expectExit(2);
      assertTrue(bad.stderr().contains("\"5x\"") && bad.stderr().contains("1h30m"), bad.stderr());
      String help = fastpull(option[0], "--help").run().expectExit(0).stdout();
      assertTrue(help.contains(option[1] + "=DURATION"), help);
      assertTrue(help.contains("bare number is seconds"), help);
    }
  }
}
