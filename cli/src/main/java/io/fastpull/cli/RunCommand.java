package io.fastpull.cli;

import io.fastpull.daemon.DurationText;
import io.fastpull.registry.RegistryClient;
import io.fastpull.run.PhaseRule;
import io.fastpull.run.Report;
import io.fastpull.run.Runner;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastpull run}: pull, run and time a container. */
@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Pull an image (lazily unless --mode normal) and run a container from it with "
        + "nerdctl when installed, else ctr; stream its output with elapsed-time stamps and "
        + "print when each phase was reached.",
        "Phases (seconds since the start): pull, start (container process spawned), first-log, "
            + "ready (--readiness-url), each --phase, exit. Exit code: the container's.",
        "In lazy mode it then prints, per lazy layer, what the fastpull daemon fetched (bytes, "
            + "requests), prefetched and made reads wait for; a daemon that cannot be asked "
            + "gives one line saying why instead."})
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE")
  String image;

  @Parameters(index = "1..*", paramLabel = "CMD", description = "command and arguments "
      + "(after --) instead of the image's own")
  List<String> command = new ArrayList<>();

  @Mixin PullCommand.Target target = new PullCommand.Target();

  @Mixin SnapshotterSocket socket = new SnapshotterSocket();

  @Option(names = "--mode", description = "lazy (fastpull) or normal (full pull into "
      + "containerd's overlayfs, for comparison); default ${DEFAULT-VALUE}",
      defaultValue = "lazy")
  String mode;

  @Option(names = "--net-host", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "use the host's network (default; --no-net-host to isolate)")
  boolean netHost;

  @Option(names = "--readiness-url", paramLabel = "URL",
      description = "poll this URL until it answers 200 (phase 'ready')")
  URI readinessUrl;

  @Option(names = "--readiness-timeout", paramLabel = "DURATION", defaultValue = "2m",
      converter = DurationConverter.class,
      description = "how long to poll the readiness URL: " + DurationText.EXAMPLES
          + " (default ${DEFAULT-VALUE})")
  Duration readinessTimeout;

  @Option(names = "--stop-when-ready", description = "kill the container once it is ready")
  boolean stopWhenReady;

  @Option(names = "--phase", paramLabel = "NAME=REGEX",
      description = "a phase reached when a log line first matches REGEX (repeatable)")
  List<String> phases = new ArrayList<>();

  @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "kill the container after this long: " + DurationText.EXAMPLES)
  Duration timeout;

  @Option(names = "--output-json", paramLabel = "FILE",
      description = "write the measurements as JSON (atomically)")
  Path outputJson;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Runner.Options o;
    try {
      List<PhaseRule> rules = new ArrayList<>();
      for (String p : phases) {
        rules.add(PhaseRule.parse(p));
      }
      Runner.Mode m = switch (mode) {
        case "lazy" -> Runner.Mode.LAZY;
        case "normal" -> Runner.Mode.NORMAL;
        default -> throw new IllegalArgumentException("--mode '" + mode
            + "' must be lazy or normal");
      };
      o = new Runner.Options(image, command, m, target.options(spec), target.plainHttp,
          Optional.ofNullable(target.hostsDir), netHost, Optional.ofNullable(readinessUrl),
          readinessTimeout, stopWhenReady, rules, Optional.ofNullable(timeout),
          socket.resolve(target, m == Runner.Mode.LAZY), Optional.empty());
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    Report report;
    try (RegistryClient client = target.registryClient()) {
      report = new Runner(client, o, out, Clock.systemUTC(), System.getenv("PATH")).run();
    }
    if (outputJson != null) {
      report.writeJson(outputJson);
    }
    return report.exitCode();
  }
}
