package io.fastpull.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a run measured.
 *
 * @param image the image as given
 * @param mode how it was pulled and run
 * @param snapshotter the snapshotter the container ran on
 * @param launcher the CLI that started the container ({@code ctr} or {@code nerdctl})
 * @param container the container id
 * @param exitCode the container's exit code
 * @param phases the phases reached, earliest first
 * @param pull facts about the pull (layers, bytes), empty for an image that needed none
 */
public record Report(String image, Runner.Mode mode, String snapshotter, String launcher,
    String container, int exitCode, List<Timing> phases, Map<String, Long> pull) {

  /** One phase: its name and when it was reached, in seconds since the run began. */
  public record Timing(String name, double seconds) {
    public Timing {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("phase name '" + name + "' is empty");
      }
      if (seconds < 0) {
        throw new IllegalArgumentException("phase " + name + " at negative time " + seconds);
      }
    }
  }

  public Report {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(mode, "mode");
    phases = List.copyOf(phases);
    pull = Map.copyOf(pull);
  }

  /** The time a phase was reached, if it was. */
  public java.util.Optional<Double> seconds(String phase) {
    return phases.stream().filter(t -> t.name().equals(phase)).map(Timing::seconds).findFirst();
  }

  /** The summary table: one row per phase. */
  public String table() {
    int w = Math.max(5, phases.stream().mapToInt(t -> t.name().length()).max().orElse(0));
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%-" + w + "s  %9s%n", "phase", "seconds"));
    b.append("-".repeat(w)).append("  ").append("-".repeat(9)).append('\n');
    for (Timing t : phases) {
      b.append(String.format(Locale.ROOT, "%-" + w + "s  %9.3f%n", t.name(), t.seconds()));
    }
    b.append(String.format(Locale.ROOT, "%s mode, %s, exit code %d%n",
        mode.name().toLowerCase(Locale.ROOT), image, exitCode));
    return b.toString();
  }

  /** Writes the report as JSON: to a temp file beside {@code file}, then renamed over it. */
  public void writeJson(Path file) throws IOException {
    Path abs = file.toAbsolutePath();
    Path dir = abs.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
    try {
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), this);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
