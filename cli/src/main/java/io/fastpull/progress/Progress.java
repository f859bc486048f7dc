package io.fastpull.progress;

import io.fastpull.registry.Descriptor;
import java.time.Duration;
import java.util.Objects;

/**
 * Hears how a transfer of image layers goes: the converter reads and pushes layers, the puller
 * downloads them. Events may come from several worker threads at once (the converter runs layer
 * jobs in parallel): implementations are thread-safe, quick, and never throw. Every method
 * defaults to doing nothing.
 *
 * <p>Per layer: {@link #layerStarted} (optional), any number of {@link #layerBytes}, then one
 * {@link #layerDone}. A layer that moves no bytes (mounted lazily, already present) may get only
 * {@link #layerDone}.
 *
 * @param <R> what the caller learns about a finished layer (the converter's {@code LayerStats},
 *     the puller's {@code LayerResult})
 */
public interface Progress<R> {
  /** Progress that reports nothing. */
  static <R> Progress<R> none() {
    return new Progress<>() {};
  }

  /**
   * The work is known: {@code layers} layers of {@code bytes} bytes in all, as their descriptors
   * say. At most once, before any layer event.
   *
   * @param subject what is transferred, for people ("converting A -> B")
   */
  default void planned(String subject, int layers, long bytes) {}

  /** Work on {@code layer} starts. */
  default void layerStarted(Descriptor layer) {}

  /**
   * {@code done} of {@code total} bytes of the layer's blob (or of what stands in for it) have
   * moved; called often, at most about once per MiB.
   */
  default void layerBytes(Descriptor layer, long done, long total) {}

  /** {@code layer} is finished; {@code result} says how. */
  default void layerDone(Descriptor layer, R result) {}

  /** A step outside the layers (pushing a manifest, writing the image record). */
  default void step(String message) {}

  /**
   * How a finished layer is shown to people: what moved, how long it took, and what happened.
   *
   * @param bytes bytes moved for the layer (0 for a layer that was mounted or already there)
   * @param elapsed time spent on it
   * @param detail what happened, a short phrase ("lazy", "-> sha256:... 12.0 MiB, 40 chunks")
   */
  record Summary(long bytes, Duration elapsed, String detail) {
    public Summary {
      if (bytes < 0) {
        throw new IllegalArgumentException("bytes " + bytes + " is negative");
      }
      Objects.requireNonNull(elapsed, "elapsed");
      Objects.requireNonNull(detail, "detail");
    }
  }
}
