package io.fastpull.install;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** containerd's {@code ctr}, run as a subprocess against one address. */
final class Ctr {
  private final Optional<Path> address;

  Ctr(Optional<Path> address) {
    this.address = address;
  }

  /** Runs {@code ctr [--address A] ARGS}; fails with ctr's output unless it exits 0. */
  String run(List<String> args) throws IOException {
    return Services.run(command(args));
  }

  /** Like {@link #run}, but a failure (e.g. content not present) is empty. */
  Optional<String> tryRun(List<String> args) {
    try {
      return Optional.of(run(args));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private List<String> command(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of("ctr"));
    address.ifPresent(a -> {
      cmd.add("--address");
      cmd.add(a.toString());
    });
    cmd.addAll(args);
    return cmd;
  }
}
