package io.fastpull.install;

import io.fastpull.install.InstallException.Code;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The files an installation consists of: jar, libraries, launcher, systemd unit, README. */
final class Payload {
  static final String UNIT_RESOURCE = "fastpull.service";
  static final String README_RESOURCE = "README.md";

  private Payload() {}

  /**
   * One file to install: copied from {@code source}, or written from {@code content}.
   *
   * @param mode POSIX permissions, e.g. "rw-r--r--"
   */
  record Item(Path target, Path source, byte[] content, String mode) {
    Item {
      Objects.requireNonNull(target, "target");
      if ((source == null) == (content == null)) {
        throw new IllegalArgumentException("exactly one of source and content: " + target);
      }
    }

    /** Whether the target already holds exactly these bytes. */
    boolean upToDate() throws IOException {
      if (!Files.isRegularFile(target)) {
        return false;
      }
      return source != null ? Disk.sameContent(source, target)
          : java.util.Arrays.equals(Files.readAllBytes(target), content);
    }

    void install() throws IOException {
      Disk.write(target, source != null ? Files.readAllBytes(source) : content, mode);
    }
  }

  /**
   * The items for a build in {@code dist} ({@code fastpull.jar} and {@code lib/*.jar}).
   *
   * @throws InstallException MISSING if {@code dist} holds no build
   */
  static List<Item> of(Path dist, Layout layout) throws IOException {
    Path jar = dist.resolve("fastpull.jar");
    Path lib = dist.resolve("lib");
    if (!Files.isRegularFile(jar) || !Files.isDirectory(lib)) {
      throw new InstallException(Code.MISSING, "no fastpull build in " + dist
          + " (want fastpull.jar and lib/): run scripts/build, then scripts/fastpull install");
    }
    List<Item> items = new ArrayList<>();
    items.add(new Item(layout.libDir().resolve("fastpull.jar"), jar, null, "rw-r--r--"));
    List<Path> jars = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(lib, "*.jar")) {
      ds.forEach(jars::add);
    }
    jars.sort(null);
    for (Path j : jars) {
      items.add(new Item(layout.libDir().resolve("lib").resolve(j.getFileName()), j, null,
          "rw-r--r--"));
    }
    items.add(new Item(layout.launcher(), null, launcher(layout), "rwxr-xr-x"));
    items.add(new Item(layout.unit(), null, unit(layout), "rw-r--r--"));
    items.add(new Item(layout.doc(), null, resource(README_RESOURCE), "rw-r--r--"));
    return items;
  }

  /** The directory of the running build: where its fastpull.jar is. */
  static Path runningDist() throws InstallException {
    try {
      Path self = Path.of(Payload.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(self) && self.getFileName().toString().endsWith(".jar")) {
        return self.getParent();
      }
      throw new InstallException(Code.MISSING, "fastpull runs from " + self + ", not from its jar:"
          + " run scripts/build, then scripts/fastpull install (or pass --from DIR)");
    } catch (URISyntaxException | SecurityException e) {
      throw new InstallException(Code.MISSING, "cannot tell where fastpull's jar is: " + e);
    }
  }

  static byte[] launcher(Layout layout) {
    String lib = shellQuote(layout.libDir().toString());
    String s = "#!/bin/sh\n"
        + "# The fastpull command. Written by `fastpull install`, removed by `fastpull uninstall`.\n"
        + "exec \"${JAVA_HOME:+$JAVA_HOME/bin/}java\" -Dfile.encoding=UTF-8 ${FASTPULL_JAVA_OPTS:-} \\\n"
        + "  -cp " + lib + "/fastpull.jar:" + lib + "'/lib/*' io.fastpull.cli.Main \"$@\"\n";
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The packaged unit with ExecStart pointing at the installed launcher and config, and
   * Documentation= at the installed README.
   */
  static byte[] unit(Layout layout) {
    String unit = new String(resource(UNIT_RESOURCE), StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder();
    for (String line : unit.split("\n", -1)) {
      if (line.startsWith("ExecStart=")) {
        line = "ExecStart=" + systemdQuote(layout.launcher().toString()) + " daemon --config "
            + systemdQuote(layout.fastpullConfig().toString());
      } else if (line.startsWith("Documentation=")) {
        line = "Documentation=" + fileUri(layout.doc());
      }
      b.append(line).append('\n');
    }
    b.setLength(b.length() - 1);
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** A file packaged next to this class (build bug if missing). */
  private static byte[] resource(String name) {
    try (InputStream in = Payload.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar (build bug)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the packaged " + name, e);
    }
  }

  /** systemd takes a file: URI; spaces and other specials are percent-encoded. */
  private static String fileUri(Path p) {
    return p.toUri().toASCIIString().replaceFirst("^file:///", "file:/");
  }

  /** Commented defaults: the file parses as empty, so the daemon runs on its built-in values. */
  static byte[] defaultConfig() {
    String s = """
        # fastpull daemon settings (TOML). Every key is optional; the values shown are the defaults.
        # Written by `fastpull install` because the file was absent. Restart the daemon after edits.
        # root = "/var/lib/fastpull"             # metadata.db, snapshots/ and the chunk cache/
        # socket = "/run/fastpull/fastpull.sock" # containerd's proxy_plugins address
        # socket_group = ""                      # a group for a 0660 socket (else 0600)
        # cache_size = "10GiB"                   # chunk cache budget
        # mount_timeout = "30s"                  # how long a lazy layer mount may take
        # shutdown_timeout = "10s"               # grace for in-flight calls on shutdown
        # read_timeout = "30s"                   # how long a file read may wait for its chunks
        # log_level = "info"                     # trace, debug, info, warn or error
        # metrics_address = "127.0.0.1:9102"     # or "disabled"
        # lazy = true                            # false: containerd unpacks every layer
        # background_fetch = true                # fetch whole lazy layers after startup
        # hosts_dir = "/etc/containerd/certs.d"  # registry hosts.toml files, as containerd's
        # docker_config = "/root/.docker/config.json"
        # plain_http = []                        # registries over plain HTTP, e.g. ["127.0.0.1:5000"]
        """;
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  private static String systemdQuote(String s) {
    return s.matches("[A-Za-z0-9_./@:+-]+") ? s
        : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
