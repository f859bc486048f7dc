package io.fastpull.cli;

import io.fastpull.daemon.BuildInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

/** The {@code fastpull} command: one entry point, one subcommand per job. */
@Command(
    name = "fastpull",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Lazy-loading container images for containerd.",
    subcommands = {LayerCommand.class, ConvertCommand.class, DaemonCommand.class,
        InstallCommand.class, UninstallCommand.class, CleanCommand.class,
        PullCommand.class, RunCommand.class, RecordCommand.class, VersionCommand.class,
        CompletionCommand.class, HelpCommand.class})
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit code (0 ok, 1 failure, 2 usage). */
  static int run(String... args) {
    CommandLine cl = new CommandLine(new Main());
    sameVersion(cl);
    LogOptions.addTo(cl);
    cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
      // One clear line for the user; the stack trace only when asked for.
      cmd.getErr().println("fastpull: " + message(ex));
      if (System.getenv("FASTPULL_DEBUG") != null) {
        ex.printStackTrace(cmd.getErr());
      }
      return 1;
    });
    return cl.execute(args);
  }

  /** Gives every subcommand's {@code --version} the build's version (picocli does not inherit it). */
  private static void sameVersion(CommandLine cl) {
    cl.getCommandSpec().versionProvider(new Version());
    cl.getSubcommands().values().forEach(Main::sameVersion);
  }

  static String message(Throwable t) {
    String m = t.getMessage();
    if (m == null || m.isBlank()) {
      m = t.getClass().getSimpleName();
    }
    if (t instanceof java.nio.file.NoSuchFileException) {
      m = "no such file: " + m;
    } else if (t instanceof java.nio.file.AccessDeniedException) {
      m = "permission denied: " + m;
    }
    return m;
  }

  /** What {@code --version} and {@code fastpull version} print: the build's one version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"fastpull " + BuildInfo.current()};
    }
  }
}
