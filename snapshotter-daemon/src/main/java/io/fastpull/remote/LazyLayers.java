package io.fastpull.remote;

import io.fastpull.registry.Digest;
import java.util.List;
import java.util.Optional;

/**
 * What the lazy layers mounted right now are doing: their status and counters, and the access
 * traces that {@code fastpull record} turns into a startup profile. Implementations are
 * thread-safe; a layer unmounted meanwhile simply drops out.
 *
 * <p>One blob may be mounted more than once (two snapshots whose chains share a layer); each
 * mount has its own reader, counters and trace.
 */
public interface LazyLayers {
  /** Every mounted lazy layer, one entry per mount, in the order they were mounted. */
  List<LayerStatus> layers();

  /**
   * The access trace of {@code blob}: chunk indexes in the order of their first read. With
   * several mounts of the blob, their traces are joined in mount order, each chunk once (reads
   * usually go through only one of them).
   *
   * @return empty when {@code blob} is not mounted
   */
  Optional<int[]> trace(Digest blob);

  /**
   * Forgets the traces of every mount of {@code blob}, so that the next reads start new ones.
   *
   * @return false when {@code blob} is not mounted
   */
  boolean resetTrace(Digest blob);

  /** No lazy layers (a daemon that unpacks every layer). */
  static LazyLayers none() {
    return new LazyLayers() {
      @Override
      public List<LayerStatus> layers() {
        return List.of();
      }

      @Override
      public Optional<int[]> trace(Digest blob) {
        return Optional.empty();
      }

      @Override
      public boolean resetTrace(Digest blob) {
        return false;
      }
    };
  }
}
