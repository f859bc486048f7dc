package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The packaged launcher starts the command line and answers {@code --help}. */
class LauncherIT {
  @Test
  void helpListsTheCommands() throws Exception {
    LauncherRun.Result r = fastpull("--help").run().expectExit(0);
    assertTrue(r.stdout().contains("convert"), r.stdout());
    assertTrue(r.stdout().contains("daemon"), r.stdout());
  }
}
