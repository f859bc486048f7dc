package io.fastpull.run;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command lines that pull and start containers: {@code nerdctl} when installed, else
 * {@code ctr} (which containerd ships). Pure argv building; runs nothing.
 */
enum Launcher {
  NERDCTL("nerdctl"),
  CTR("ctr");

  final String program;

  Launcher(String program) {
    this.program = program;
  }

  /** nerdctl if it is on {@code path} (a PATH-style list), else ctr. */
  static Launcher detect(String path) {
    return find("nerdctl", path).isPresent() ? NERDCTL : CTR;
  }

  static Optional<Path> find(String program, String path) {
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path p = Path.of(dir, program);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  private List<String> base(Path address, String namespace) {
    List<String> a = new ArrayList<>(List.of(program, "--address", address.toString()));
    a.addAll(this == CTR ? List.of("-n", namespace) : List.of("--namespace", namespace));
    return a;
  }

  /** A full (non-lazy) pull into {@code snapshotter}. */
  List<String> pull(Path address, String namespace, String snapshotter, String image,
      boolean plainHttp, Optional<Path> hostsDir) {
    List<String> a = base(address, namespace);
    if (this == CTR) {
      a.addAll(List.of("images", "pull", "--snapshotter", snapshotter));
      if (plainHttp) {
        a.add("--plain-http");
      }
      hostsDir.ifPresent(d -> a.addAll(List.of("--hosts-dir", d.toString())));
    } else {
      a.addAll(List.of("--snapshotter", snapshotter, "pull"));
      if (plainHttp) {
        a.add("--insecure-registry");
      }
      hostsDir.ifPresent(d -> a.addAll(List.of("--hosts-dir", d.toString())));
    }
    a.add(image);
    return a;
  }

  /** Starts a container that is removed when it exits; its output goes to this process. */
  List<String> run(Path address, String namespace, String snapshotter, String image, String id,
      boolean hostNetwork, List<String> command) {
    List<String> a = base(address, namespace);
    if (this == CTR) {
      a.addAll(List.of("run", "--snapshotter", snapshotter, "--rm"));
      if (hostNetwork) {
        a.add("--net-host");
      }
      a.add(image);
      a.add(id);
    } else {
      a.addAll(List.of("--snapshotter", snapshotter, "run", "--rm", "--name", id));
      if (hostNetwork) {
        a.addAll(List.of("--net", "host"));
      }
      a.add(image);
    }
    a.addAll(command);
    return a;
  }

  /** Kills the container's task (used when a run times out). */
  List<String> kill(Path address, String namespace, String id) {
    List<String> a = base(address, namespace);
    a.addAll(this == CTR ? List.of("task", "kill", "--signal", "SIGKILL", id)
        : List.of("kill", id));
    return a;
  }
}
