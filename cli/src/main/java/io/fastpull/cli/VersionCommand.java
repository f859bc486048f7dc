package io.fastpull.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code fastpull version}: the same line as {@code fastpull --version}. */
@Command(name = "version", mixinStandardHelpOptions = true,
    description = "Print the fastpull version and the git commit it was built from.")
final class VersionCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    for (String line : new Main.Version().getVersion()) {
      spec.commandLine().getOut().println(line);
    }
    spec.commandLine().getOut().flush();
  }
}
