package io.fastpull.cli;

import io.fastpull.control.DaemonControl;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The fastpull daemon's socket, for commands that ask its control service. */
final class SnapshotterSocket {
  @Option(names = "--snapshotter-socket", paramLabel = "SOCKET",
      description = "the fastpull daemon's socket (default ${DEFAULT-VALUE})")
  Path path = DaemonControl.DEFAULT_SOCKET;
}
