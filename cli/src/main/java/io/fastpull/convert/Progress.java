package io.fastpull.convert;

import io.fastpull.registry.Descriptor;

/**
 * Hears how a conversion goes. Called from the converter's worker threads, possibly at once:
 * implementations must be thread-safe and quick. Every method defaults to doing nothing.
 */
public interface Progress {
  /** Ignores everything. */
  Progress NONE = new Progress() {};

  /** A source layer's conversion starts ({@code layer.size()} bytes will be read). */
  default void layerStarted(Descriptor layer) {}

  /** {@code read} of {@code layer.size()} source bytes are read; called at most every MiB. */
  default void layerBytes(Descriptor layer, long read) {}

  /** A layer's lazy blob is converted and in the target registry. */
  default void layerDone(Descriptor layer, LayerStats stats) {}

  /** A step of the conversion outside the layers (pushing manifests, the tag). */
  default void step(String message) {}
}
