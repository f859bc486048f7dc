package io.fastpull.cli;

import io.fastpull.control.DaemonControl;
import io.fastpull.pull.SnapshotterAddress;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The fastpull daemon's socket, for commands that ask its control service. */
final class SnapshotterSocket {
  @Option(names = "--snapshotter-socket", paramLabel = "SOCKET",
      description = "the fastpull daemon's socket (default: the address containerd's config "
          + "gives the --snapshotter proxy plugin, else /run/fastpull/fastpull.sock)")
  Path path;

  /**
   * The socket given, else (when {@code ask}) the one containerd at {@code target.address} uses
   * for {@code target.snapshotter}, else the daemon's default.
   */
  Path resolve(PullCommand.Target target, boolean ask) {
    if (path != null || !ask) {
      return path != null ? path : DaemonControl.DEFAULT_SOCKET;
    }
    return SnapshotterAddress.find(target.address, target.snapshotter)
        .orElse(DaemonControl.DEFAULT_SOCKET);
  }
}
