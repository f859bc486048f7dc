package io.fastpull.install;

import io.fastpull.daemon.DaemonConfig;
import io.fastpull.install.InstallException.Code;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code fastpull uninstall}: reverts what the manifest says install did. containerd's config gets
 * its backup back when nobody changed it since install, else loses exactly fastpull's lines;
 * the daemon's state directory stays unless purged. Not thread-safe; one run per instance.
 */
public final class Uninstaller {
  private final Layout layout;
  private final boolean dryRun;
  private final boolean purge;
  private final PrintWriter out;

  public Uninstaller(Layout layout, boolean dryRun, boolean purge, PrintWriter out) {
    this.layout = layout;
    this.dryRun = dryRun;
    this.purge = purge;
    this.out = out;
  }

  /**
   * Plans, prints and (unless a dry run) applies the removal.
   *
   * @throws InstallException MISSING without a manifest; BUSY when purging a root with mounts
   */
  public void run() throws IOException {
    Manifest m = Manifest.read(layout.manifest()).orElseThrow(() -> new InstallException(
        Code.MISSING, "no install manifest at " + layout.manifest()
            + ": nothing to uninstall (was fastpull installed with another --prefix?)"));
    out.println(dryRun ? "fastpull uninstall: dry run, nothing is changed" : "fastpull uninstall");
    Path fpConfig = layout.fastpullConfig();
    Path root = Files.exists(fpConfig) ? DaemonConfig.load(fpConfig).root()
        : DaemonConfig.DEFAULT_ROOT;

    stopDaemon(m);
    boolean configChanged = revertConfig(m);
    for (String f : m.files()) {
      Path p = Path.of(f);
      if (Files.exists(p)) {
        out.println("remove " + p);
        if (!dryRun) {
          Files.delete(p);
        }
      }
    }
    if (m.service().equals("systemd") && Services.systemd() && !dryRun) {
      Services.run(List.of("systemctl", "daemon-reload"));
    }
    if (m.fastpullConfig() != null && Files.exists(Path.of(m.fastpullConfig()))) {
      Path p = Path.of(m.fastpullConfig());
      if (Disk.sha256(Files.readAllBytes(p)).equals(m.fastpullConfigSha256())) {
        out.println("remove " + p);
        if (!dryRun) {
          Files.delete(p);
        }
      } else {
        out.println("keep   " + p + " (edited since install)");
      }
    }
    if (purge) {
      purge(root);
    } else if (Files.exists(root)) {
      out.println("keep   " + root + " (fastpull's data; --purge removes it)");
    }
    out.println("remove " + layout.manifest());
    if (!dryRun) {
      Files.deleteIfExists(layout.manifest());
    }
    List<String> dirs = new ArrayList<>(m.dirs());
    for (int i = dirs.size() - 1; i >= 0; i--) {
      Path d = Path.of(dirs.get(i));
      if (Files.isDirectory(d)) {
        try {
          if (!dryRun) {
            Files.delete(d);
          }
          out.println("remove " + d + "/");
        } catch (DirectoryNotEmptyException e) {
          out.println("keep   " + d + "/ (not empty)");
        }
      }
    }
    if (configChanged) {
      if (m.service().equals("systemd") && Services.systemd()) {
        out.println("restart containerd: systemctl try-restart containerd.service");
        if (!dryRun) {
          Services.run(List.of("systemctl", "try-restart", "containerd.service"));
        }
      } else {
        out.println("restart containerd yourself so it reads " + m.containerdConfig());
      }
    }
    out.println(dryRun ? "dry run done" : "uninstalled");
    out.flush();
  }

  private void stopDaemon(Manifest m) throws IOException {
    if (m.service().equals("systemd") && Services.systemd()) {
      out.println("stop   systemctl disable --now fastpull.service");
      if (!dryRun) {
        Services.run(List.of("systemctl", "disable", "--now", "fastpull.service"));
      }
      return;
    }
    Path pidFile = m.pidFile() == null ? layout.pidFile() : Path.of(m.pidFile());
    Optional<ProcessHandle> d = Services.runningDaemon(pidFile);
    if (d.isPresent()) {
      out.println("stop   fastpull daemon pid " + d.get().pid() + " (from " + pidFile + ")");
      if (!dryRun) {
        Services.stop(d.get(), pidFile);
      }
    }
  }

  /** Returns whether containerd's config changes. */
  private boolean revertConfig(Manifest m) throws IOException {
    if (m.edits().isEmpty() || m.containerdConfig() == null) {
      return false;
    }
    Path cfg = Path.of(m.containerdConfig());
    if (!Files.exists(cfg)) {
      out.println("containerd config " + cfg + " is gone; nothing to revert");
      return false;
    }
    byte[] now = Files.readAllBytes(cfg);
    boolean untouched = Disk.sha256(now).equals(m.writtenSha256());
    if (untouched && m.containerdConfigCreated()) {
      out.println("remove " + cfg + " (created by install, unchanged since)");
      if (!dryRun) {
        Files.delete(cfg);
      }
      return true;
    }
    if (untouched && m.backups().size() == 1 && Files.exists(Path.of(m.backups().get(0)))) {
      Path backup = Path.of(m.backups().get(0));
      out.println("containerd config " + cfg + ": unchanged since install, restoring " + backup);
      out.print(Diff.unified(cfg.toString(), cfg.toString(),
          new String(now, StandardCharsets.UTF_8), Files.readString(backup)));
      if (!dryRun) {
        Disk.write(cfg, Files.readAllBytes(backup), Disk.modeOf(cfg, "rw-r--r--"));
        Files.delete(backup);
      }
      return true;
    }
    String text = new String(now, StandardCharsets.UTF_8);
    ConfigReverter.Result r = ConfigReverter.revert(cfg, text, m.edits());
    out.println("containerd config " + cfg + ": changed since install, removing fastpull's lines");
    out.print(Diff.unified(cfg.toString(), cfg.toString(), text, r.text()));
    r.warnings().forEach(w -> out.println("  warning: " + w));
    if (!dryRun) {
      Disk.write(cfg, r.text().getBytes(StandardCharsets.UTF_8), Disk.modeOf(cfg, "rw-r--r--"));
    }
    for (String b : m.backups()) {
      if (Files.exists(Path.of(b))) {
        out.println((r.warnings().isEmpty() ? "remove " : "keep   ") + b);
        if (!dryRun && r.warnings().isEmpty()) {
          Files.delete(Path.of(b));
        }
      }
    }
    return !r.text().equals(text);
  }

  private void purge(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    String prefix = root.toAbsolutePath().normalize() + "/";
    for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      if (f.length > 4 && (f[4] + "/").startsWith(prefix)) {
        throw new InstallException(Code.BUSY, "cannot purge " + root + ": " + f[4]
            + " is mounted (containers still use fastpull layers); stop them and the daemon"
            + " first; nothing under " + root + " was removed");
      }
    }
    out.println("remove " + root + "/ (--purge)");
    if (!dryRun) {
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }
}
