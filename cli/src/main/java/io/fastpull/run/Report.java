package io.fastpull.run;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fastpull.control.LayerActivity;
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
 * @param layers what the fastpull daemon counted for each mounted lazy layer, base first (lazy
 *     mode; empty otherwise)
 * @param layersUnavailable why {@code layers} is empty although the image has lazy layers (the
 *     daemon could not be asked), else null
 * @param startedAtMillis the wall-clock time (ms since the epoch) that phase times count from,
 *     so that other records (e.g. a byte counter's samples) can be lined up with the phases
 */
public record Report(String image, Runner.Mode mode, String snapshotter, String launcher,
    String container, int exitCode, List<Timing> phases, Map<String, Long> pull,
    List<Layer> layers, String layersUnavailable, long startedAtMillis) {

  /**
   * One lazy layer's counters.
   *
   * @param index its position in the image, base first
   * @param activity what the daemon counted since it was mounted (inlined in the JSON)
   */
  public record Layer(int index, @JsonUnwrapped LayerActivity activity) {
    public Layer {
      if (index < 0) {
        throw new IllegalArgumentException("layer index " + index + " is negative");
      }
      Objects.requireNonNull(activity, "activity");
    }
  }

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
    layers = List.copyOf(layers);
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

  /**
   * One line per lazy layer with what it fetched and how reads fared, or one line saying why the
   * stats are unavailable; empty when there is nothing to say (normal mode, no lazy layers).
   */
  public String layerTable() {
    StringBuilder b = new StringBuilder();
    if (layersUnavailable != null) {
      b.append("layer stats unavailable: ").append(layersUnavailable).append('\n');
    }
    for (Layer l : layers) {
      LayerActivity a = l.activity();
      b.append(String.format(Locale.ROOT, "layer %d %s: fetched %s of %s stored (%.1f%%) in %d "
              + "requests, %d cached reads; prefetch %s %d chunks, %d hits; %d on-demand waits, "
              + "%.1f ms; background %s%n", l.index(), shortDigest(a.blobDigest()),
          bytes(a.fetchedBytes()), bytes(a.storedBytes()), a.fetchedPercent(),
          a.sourceRequests(), a.cacheHits() + a.memoryHits(), a.prefetchSource(),
          a.prefetchChunks(), a.prefetchHits(),
          a.onDemandWaits(), a.onDemandWaitMicros() / 1000.0, bytes(a.backgroundBytes())));
    }
    return b.toString();
  }

  private static String shortDigest(String digest) {
    int colon = digest.indexOf(':');
    String hex = digest.substring(colon + 1);
    return hex.length() > 12 ? hex.substring(0, 12) : hex;
  }

  static String bytes(long n) {
    if (n >= 1L << 30) {
      return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
    }
    if (n >= 1L << 20) {
      return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
    if (n >= 1L << 10) {
      return String.format(Locale.ROOT, "%.1f KiB", n / (double) (1L << 10));
    }
    return n + " B";
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
