package io.fastpull.pull;

import io.fastpull.registry.Descriptor;

/**
 * Receives pull events, in order, from the pulling thread. Implementations must not throw; every
 * method defaults to doing nothing.
 */
public interface Progress {
  /** The image is resolved: its manifest and its layers. */
  default void resolved(String name, Descriptor manifest, int layers, long layerBytes) {}

  /** {@code read} bytes of the layer's blob (or of its original, for a declined lazy layer) so far. */
  default void layerBytes(Descriptor layer, long read, long total) {}

  /** One layer is in place. */
  default void layerDone(LayerResult result) {}

  /** A free-form step ("writing image record"). */
  default void step(String message) {}

  /** Progress that reports nothing. */
  static Progress none() {
    return new Progress() {};
  }
}
