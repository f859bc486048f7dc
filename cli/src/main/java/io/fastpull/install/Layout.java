package io.fastpull.install;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where an installation puts things. The defaults are the system paths; tests point every one of
 * them into a temp dir.
 *
 * @param prefix the jar and libraries go to {@code <prefix>/lib/fastpull}, the launcher to
 *     {@code <prefix>/bin/fastpull}, the manifest to {@code <prefix>/lib/fastpull/install.json},
 *     the README (the unit's {@code Documentation=}) to {@code <prefix>/share/doc/fastpull}
 * @param fastpullConfig the daemon's config (written only when absent)
 * @param containerdConfig containerd's config (edited)
 * @param unitDir where the systemd unit goes
 * @param pidFile the background daemon's pid file (when systemd is not PID 1)
 * @param logFile the background daemon's log
 */
public record Layout(
    Path prefix,
    Path fastpullConfig,
    Path containerdConfig,
    Path unitDir,
    Path pidFile,
    Path logFile) {

  public static final Path DEFAULT_PREFIX = Path.of("/usr/local");
  public static final Path DEFAULT_FASTPULL_CONFIG = Path.of("/etc/fastpull/config.toml");
  public static final Path DEFAULT_CONTAINERD_CONFIG = Path.of("/etc/containerd/config.toml");
  public static final Path DEFAULT_UNIT_DIR = Path.of("/etc/systemd/system");
  public static final Path DEFAULT_PID_FILE = Path.of("/run/fastpull/fastpull.pid");
  public static final Path DEFAULT_LOG_FILE = Path.of("/var/log/fastpull.log");

  public Layout {
    prefix = Objects.requireNonNull(prefix, "prefix").toAbsolutePath().normalize();
    fastpullConfig = Objects.requireNonNull(fastpullConfig, "fastpullConfig").toAbsolutePath();
    containerdConfig = Objects.requireNonNull(containerdConfig, "containerdConfig").toAbsolutePath();
    unitDir = Objects.requireNonNull(unitDir, "unitDir").toAbsolutePath();
    pidFile = Objects.requireNonNull(pidFile, "pidFile").toAbsolutePath();
    logFile = Objects.requireNonNull(logFile, "logFile").toAbsolutePath();
  }

  /** The system paths under {@code prefix}. */
  public static Layout defaults(Path prefix) {
    return new Layout(prefix, DEFAULT_FASTPULL_CONFIG, DEFAULT_CONTAINERD_CONFIG,
        DEFAULT_UNIT_DIR, DEFAULT_PID_FILE, DEFAULT_LOG_FILE);
  }

  Path libDir() {
    return prefix.resolve("lib/fastpull");
  }

  Path launcher() {
    return prefix.resolve("bin/fastpull");
  }

  Path unit() {
    return unitDir.resolve("fastpull.service");
  }

  /** The README, which the unit's {@code Documentation=} line points at. */
  Path doc() {
    return prefix.resolve("share/doc/fastpull/README.md");
  }

  Path manifest() {
    return libDir().resolve("install.json");
  }
}
