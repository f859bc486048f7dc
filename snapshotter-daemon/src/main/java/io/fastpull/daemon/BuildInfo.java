package io.fastpull.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Objects;
import java.util.Properties;

/**
 * Which fastpull this is: the Maven project version and the git commit it was built from, written
 * into the build by Maven (resources {@code build.properties} and {@code build-commit.properties}).
 * The CLI's {@code version}, the daemon's start line and its {@code fastpull_build_info} metric
 * all report this one value.
 *
 * @param version the project version, e.g. {@code 0.1.0-SNAPSHOT}
 * @param commit {@code git describe --always --dirty} of the tree built, or {@code unknown} when
 *     it was built outside a git checkout
 */
public record BuildInfo(String version, String commit) {
  private static final BuildInfo CURRENT = load();

  public BuildInfo {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(commit, "commit");
  }

  /** This build's; fixed for the life of the process. */
  public static BuildInfo current() {
    return CURRENT;
  }

  /** {@code 0.1.0-SNAPSHOT (commit 1a2b3c4d5e6f)}. */
  @Override
  public String toString() {
    return version + " (commit " + commit + ")";
  }

  private static BuildInfo load() {
    Properties p = new Properties();
    for (String name : new String[] {"build.properties", "build-commit.properties"}) {
      try (InputStream in = BuildInfo.class.getResourceAsStream(name)) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("reading the build's " + name, e);
      }
    }
    String version = p.getProperty("version", "");
    String commit = p.getProperty("commit", "").strip();
    // Unfiltered resources (a build that skipped resource processing) must not show "${...}".
    return new BuildInfo(version.isEmpty() || version.startsWith("${") ? "unknown" : version,
        commit.isEmpty() ? "unknown" : commit);
  }
}
