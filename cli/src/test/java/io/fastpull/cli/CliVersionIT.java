package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code version}, {@code help} and {@code completion}, through the real launcher. */
class CliVersionIT {
  private static final String VERSION = System.getProperty("fastpull.expectedVersion");

  @Test
  void versionIsTheBuildsEverywhere() throws Exception {
    String flag = fastpull("--version").run().expectExit(0).stdout().strip();
    String command = fastpull("version").run().expectExit(0).stdout().strip();
    assertEquals(flag, command);
    for (String c : List.of("pull", "run", "daemon", "convert")) {
      assertEquals(flag, fastpull(c, "--version").run().expectExit(0).stdout().strip(), c);
    }
    assertTrue(flag.matches("fastpull " + VERSION.replace(".", "\\.")
        + " \\(commit [0-9a-f]{7,}(-dirty)?\\)"), flag);
  }

  @Test
  void helpIsACommandToo() throws Exception {
    String top = fastpull("help").run().expectExit(0).stdout();
    assertTrue(top.contains("Usage: fastpull"), top);
    for (String c : List.of("pull", "run", "record", "version", "completion", "help")) {
      assertTrue(top.lines().anyMatch(l -> l.strip().startsWith(c + " ")), c + " in:\n" + top);
    }
    String pull = fastpull("help", "pull").run().expectExit(0).stdout();
    assertEquals(fastpull("pull", "--help").run().expectExit(0).stdout(), pull);
    LauncherRun.Result unknown = fastpull("help", "nosuch").run();
    assertTrue(unknown.exitCode() != 0, unknown.toString());
    assertTrue(unknown.stderr().contains("nosuch"), unknown.stderr());
  }

  /** The script bash sources: it completes commands and a command's options. */
  @Test
  void completionCompletesCommandsAndOptions(@TempDir Path dir) throws Exception {
    String script = fastpull("completion").run().expectExit(0).stdout();
    assertTrue(script.contains("complete -F"), script);
    Path file = Files.writeString(dir.resolve("fastpull.bash"), script);
    String complete = "source " + file + "; COMP_WORDS=(%s); COMP_CWORD=%d; "
        + "_complete_fastpull; printf '%%s\\n' \"${COMPREPLY[@]}\"";
    assertEquals(List.of("pull"), bash(String.format(complete, "fastpull pul", 1)));
    List<String> options = bash(String.format(complete, "fastpull run --time", 2));
    assertEquals(List.of("--timeout"), options);
  }

  private static List<String> bash(String script) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", script)
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    return out.lines().filter(l -> !l.isBlank()).toList();
  }
}
