package io.fastpull.install;

import io.fastpull.daemon.DaemonConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code fastpull install}: plans every change first (config edit, files, services), prints it,
 * and unless it is a dry run applies it. Idempotent: a second run finds nothing to change. The
 * containerd config is checked before any file is written, so a config it refuses leaves the
 * machine as it was. Not thread-safe; one run per instance.
 */
public final class Installer {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Layout layout;
  private final boolean cri;
  private final boolean dryRun;
  private final boolean start;
  private final Optional<Path> dist;
  private final Clock clock;
  private final PrintWriter out;

  /**
   * @param dist the build to install ({@code fastpull.jar} and {@code lib/}); empty for the
   *     running one
   * @param start whether to start the daemon and restart containerd
   */
  public Installer(Layout layout, boolean cri, boolean dryRun, boolean start, Optional<Path> dist,
      Clock clock, PrintWriter out) {
    this.layout = layout;
    this.cri = cri;
    this.dryRun = dryRun;
    this.start = start;
    this.dist = dist;
    this.clock = clock;
    this.out = out;
  }

  /** Plans, prints and (unless a dry run) applies the installation. */
  public void run() throws IOException {
    Path socket = Files.exists(layout.fastpullConfig())
        ? DaemonConfig.load(layout.fastpullConfig()).socket()
        : DaemonConfig.DEFAULT_SOCKET;
    Path cfg = layout.containerdConfig();
    Optional<String> before = Files.exists(cfg)
        ? Optional.of(Files.readString(cfg, StandardCharsets.UTF_8)) : Optional.empty();
    ConfigPlan plan = ConfigEditor.plan(cfg, before, Want.forSocket(socket.toString(), cri));

    Optional<Manifest> old = Manifest.read(layout.manifest());
    List<Payload.Item> items = Payload.of(dist.isPresent() ? dist.get() : Payload.runningDist(),
        layout);
    List<Payload.Item> changed = new ArrayList<>();
    for (Payload.Item i : items) {
      if (!i.upToDate()) {
        changed.add(i);
      }
    }
    Set<String> itemPaths = new LinkedHashSet<>();
    items.forEach(i -> itemPaths.add(i.target().toString()));
    List<Path> stale = new ArrayList<>();
    old.ifPresent(m -> m.files().stream().filter(f -> !itemPaths.contains(f))
        .filter(f -> f.startsWith(layout.libDir().toString())).map(Path::of)
        .filter(Files::exists).forEach(stale::add));
    boolean writeDefaultConfig = !Files.exists(layout.fastpullConfig());

    out.println(dryRun ? "fastpull install: dry run, nothing is changed" : "fastpull install");
    String backup = cfg + ".fastpull-backup-" + STAMP.format(clock.instant());
    if (plan.changes()) {
      out.println("containerd config " + cfg + ":");
      out.print(plan.diff(cfg.toString()));
      out.println(before.isPresent() ? "  original kept as " + backup : "  (new file)");
    } else {
      out.println("containerd config " + cfg + ": already set up for fastpull");
    }
    for (Payload.Item i : changed) {
      out.println((i.source() != null ? "copy   " + i.source() + " -> " : "write  ") + i.target());
    }
    for (Path p : stale) {
      out.println("remove " + p + " (not part of this build)");
    }
    if (writeDefaultConfig) {
      out.println("write  " + layout.fastpullConfig() + " (commented defaults)");
    }
    if (changed.isEmpty() && stale.isEmpty() && !writeDefaultConfig) {
      out.println("files: all " + items.size() + " up to date under " + layout.prefix());
    }
    boolean anything = plan.changes() || !changed.isEmpty() || !stale.isEmpty()
        || writeDefaultConfig;
    List<String> steps = startSteps(plan.changes(), socket);
    steps.forEach(s -> out.println("start  " + s));
    if (dryRun) {
      out.flush();
      return;
    }

    Set<String> dirs = new LinkedHashSet<>(old.map(Manifest::dirs).orElse(List.of()));
    Set<String> files = new LinkedHashSet<>(old.map(Manifest::files).orElse(List.of()));
    for (Payload.Item i : items) {
      mkdirs(i.target().getParent(), dirs);
      files.add(i.target().toString());
    }
    for (Payload.Item i : changed) {
      i.install();
    }
    for (Path p : stale) {
      Files.deleteIfExists(p);
      files.remove(p.toString());
    }
    String fpConfig = old.map(Manifest::fastpullConfig).orElse(null);
    String fpSha = old.map(Manifest::fastpullConfigSha256).orElse(null);
    if (writeDefaultConfig) {
      mkdirs(layout.fastpullConfig().getParent(), dirs);
      byte[] bytes = Payload.defaultConfig();
      Disk.write(layout.fastpullConfig(), bytes, "rw-r--r--");
      fpConfig = layout.fastpullConfig().toString();
      fpSha = Disk.sha256(bytes);
    }
    List<String> backups = new ArrayList<>(old.map(Manifest::backups).orElse(List.of()));
    List<Edit> edits = new ArrayList<>(old.map(Manifest::edits).orElse(List.of()));
    String written = old.map(Manifest::writtenSha256).orElse(null);
    boolean created = old.map(Manifest::containerdConfigCreated).orElse(before.isEmpty());
    if (plan.changes()) {
      if (before.isPresent()) {
        Files.copy(cfg, Path.of(backup), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        backups.add(backup);
      } else {
        mkdirs(cfg.getParent(), dirs);
      }
      byte[] bytes = plan.after().getBytes(StandardCharsets.UTF_8);
      Disk.write(cfg, bytes, Disk.modeOf(cfg, "rw-r--r--"));
      edits.addAll(plan.edits());
      written = Disk.sha256(bytes);
    }
    String service = old.map(Manifest::service).orElse("none");
    if (start) {
      service = startServices(plan.changes(), socket);
    }
    Manifest m = new Manifest(1, List.copyOf(files), List.copyOf(dirs), fpConfig, fpSha,
        cfg.toString(), created, backups, written, edits, service,
        layout.pidFile().toString());
    byte[] json = m.toJson();
    if (!Files.exists(layout.manifest())
        || !java.util.Arrays.equals(Files.readAllBytes(layout.manifest()), json)) {
      Disk.write(layout.manifest(), json, "rw-r--r--");
    }
    out.println(anything ? "installed" : "nothing to do: fastpull is installed");
    out.println("note: a restart of the daemon ends its FUSE sessions: containers running on lazy"
        + " layers then see I/O errors until restarted (new ones start fine); stop them first");
    if (plan.changes() && !start) {
      out.println("restart containerd so it reads " + cfg);
    }
    out.flush();
  }

  /** The service steps, for printing. */
  private List<String> startSteps(boolean configChanged, Path socket) throws IOException {
    List<String> s = new ArrayList<>();
    if (!start) {
      s.add("nothing (--no-start): start the daemon with " + layout.launcher() + " daemon --config "
          + layout.fastpullConfig());
      return s;
    }
    if (Services.systemd()) {
      s.add("systemctl daemon-reload");
      s.add("systemctl enable --now fastpull.service");
      if (configChanged) {
        s.add("systemctl try-restart containerd.service");
      }
    } else {
      Optional<ProcessHandle> running = Services.runningDaemon(layout.pidFile());
      s.add(running.isPresent()
          ? "fastpull daemon already running (pid " + running.get().pid() + ")"
          : "background daemon: setsid " + layout.launcher() + " daemon --config "
              + layout.fastpullConfig() + " >> " + layout.logFile() + " (pid file "
              + layout.pidFile() + ", socket " + socket + ")");
      if (configChanged) {
        s.add("containerd: systemd is not PID 1, restart containerd yourself");
      }
    }
    return s;
  }

  private String startServices(boolean configChanged, Path socket) throws IOException {
    if (Services.systemd()) {
      Services.run(List.of("systemctl", "daemon-reload"));
      Services.run(List.of("systemctl", "enable", "--now", "fastpull.service"));
      if (configChanged) {
        Services.run(List.of("systemctl", "try-restart", "containerd.service"));
      }
      return "systemd";
    }
    Optional<ProcessHandle> running = Services.runningDaemon(layout.pidFile());
    if (running.isEmpty()) {
      long pid = Services.startBackground(layout.launcher(), layout.fastpullConfig(), socket,
          layout.logFile(), layout.pidFile());
      out.println("started fastpull daemon in the background: pid " + pid + ", log "
          + layout.logFile() + " (systemd is not PID 1 here; it will not restart on failure)");
    }
    if (configChanged) {
      out.println("containerd is not managed by systemd here: restart it yourself so it reads "
          + layout.containerdConfig() + " (fastpull does not stop processes it did not start)");
    }
    return "background";
  }

  /** Creates {@code dir} and its missing parents, recording those it created (parents first). */
  private static void mkdirs(Path dir, Set<String> created) throws IOException {
    List<Path> missing = new ArrayList<>();
    for (Path p = dir.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
      missing.add(0, p);
    }
    for (Path p : missing) {
      Files.createDirectory(p);
      created.add(p.toString());
    }
  }
}
