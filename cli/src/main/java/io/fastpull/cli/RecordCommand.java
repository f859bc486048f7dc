package io.fastpull.cli;

import io.fastpull.daemon.DurationText;
import io.fastpull.record.Recorder;
import io.fastpull.registry.RegistryClient;
import io.fastpull.run.PhaseRule;
import io.fastpull.run.Runner;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fastpull record}: record what an image's startup reads, as a startup profile. */
@Command(name = "record", mixinStandardHelpOptions = true,
    description = {"Record a startup profile: lazily pull IMAGE, run one container from it "
        + "until it exits (or a log line matches --until-log, or --timeout passes, then stop "
        + "it), and store which chunks of its lazy layers the startup read, in order, as an OCI "
        + "referrer of the image manifest. The fastpull daemon prefetches that list whenever it "
        + "mounts the image's layers later, on any node.",
        "Before the container starts, the traces of the image's lazy layers are reset and the "
            + "kernel's clean page cache is dropped (writes 1 to /proc/sys/vm/drop_caches; "
            + "needs root), so reads of layers mounted earlier reach the daemon too.",
        "Needs a fastpull daemon with the control service (--snapshotter-socket) and an image "
            + "converted with `fastpull convert`."})
final class RecordCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "IMAGE")
  String image;

  @Parameters(index = "1..*", paramLabel = "CMD", description = "command and arguments "
      + "(after --) instead of the image's own")
  List<String> command = new ArrayList<>();

  @Mixin PullCommand.Target target = new PullCommand.Target();

  @Mixin SnapshotterSocket socket = new SnapshotterSocket();

  @Option(names = "--until-log", paramLabel = "REGEX",
      description = "stop the container when a log line matches REGEX (the startup is done)")
  String untilLog;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m",
      converter = DurationConverter.class,
      description = "stop the container after this long: " + DurationText.EXAMPLES
          + " (default ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--net-host", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "use the host's network (default; --no-net-host to isolate)")
  boolean netHost;

  @Option(names = "--output", paramLabel = "FILE",
      description = "also write the profile JSON to FILE (atomically)")
  Path output;

  @Option(names = "--no-push", description = "do not push the profile (needs --output)")
  boolean noPush;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Recorder.Options o;
    try {
      Runner.Options run = new Runner.Options(image, command, Runner.Mode.LAZY,
          target.options(spec), target.plainHttp, Optional.ofNullable(target.hostsDir), netHost,
          Optional.empty(), Duration.ZERO, false, List.of(), Optional.of(timeout),
          socket.resolve(target, true),
          Optional.empty());
      if (untilLog != null) {
        run = run.withStopAt(new PhaseRule("until-log", compile(untilLog)));
      }
      o = new Recorder.Options(run, !noPush, Optional.ofNullable(output));
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    try (RegistryClient client = target.registryClient()) {
      new Recorder(client, o, out, Clock.systemUTC(), System.getenv("PATH")).record();
    }
    return 0;
  }

  private static Pattern compile(String regex) {
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("--until-log '" + regex + "' is not a regex: "
          + e.getDescription(), e);
    }
  }
}
