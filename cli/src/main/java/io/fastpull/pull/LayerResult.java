package io.fastpull.pull;

import io.fastpull.registry.Descriptor;
import java.time.Duration;
import java.util.Objects;

/**
 * How one layer got into containerd.
 *
 * @param index the layer's position, base first
 * @param layer the layer as the manifest lists it
 * @param chainId the name of its committed snapshot
 * @param outcome what was done
 * @param bytesDownloaded bytes read from the registry for it (0 unless {@link Outcome#DOWNLOADED})
 * @param elapsed time spent on it
 */
public record LayerResult(int index, Descriptor layer, String chainId, Outcome outcome,
    long bytesDownloaded, Duration elapsed) {

  /** What a pull did with one layer. */
  public enum Outcome {
    /** The snapshotter mounted the lazy layer remotely for this pull; nothing was downloaded. */
    LAZY,
    /**
     * The layer was downloaded and unpacked (for a lazy layer the snapshotter did not mount: its
     * original, or the tar rebuilt from the lazy blob when the original is not published).
     */
    DOWNLOADED,
    /** The snapshot was already there (this namespace's, or another's copy), unpacked. */
    EXISTS,
    /** The snapshot was already there (this namespace's, or another's), as a lazy mount. */
    EXISTS_LAZY;

    /** Whether the layer is in place as a lazy mount (made for this pull or before). */
    public boolean lazy() {
      return this == LAZY || this == EXISTS_LAZY;
    }
  }

  public LayerResult {
    if (index < 0) {
      throw new IllegalArgumentException("layer index " + index + " is negative");
    }
    Objects.requireNonNull(layer, "layer");
    Objects.requireNonNull(chainId, "chainId");
    Objects.requireNonNull(outcome, "outcome");
    if (bytesDownloaded < 0) {
      throw new IllegalArgumentException("bytesDownloaded " + bytesDownloaded + " is negative");
    }
  }
}
