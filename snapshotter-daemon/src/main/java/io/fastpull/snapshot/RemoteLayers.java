package io.fastpull.snapshot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wraps the {@link LayerMounter}: remembers which snapshot ids have a mounted remote layer and
 * which failed to remount. Thread-safe.
 */
final class RemoteLayers {
  private static final Logger log = LoggerFactory.getLogger(RemoteLayers.class);

  private final LayerMounter mounter;
  private final Map<Long, Path> mounted = new ConcurrentHashMap<>();
  private final Map<Long, String> remountErrors = new ConcurrentHashMap<>();

  RemoteLayers(LayerMounter mounter) {
    this.mounter = mounter;
  }

  /**
   * What a Prepare's remote mount came to.
   *
   * @param layer the mounted layer, if mounted
   * @param failure why a mount that was attempted failed (the layer is then unpacked the
   *     ordinary way); empty when mounted or when the mounter declined (not a lazy layer)
   */
  record Attempt(Optional<MountedLayer> layer, Optional<String> failure) {}

  /** Mounts for a Prepare; a failure is logged and reported, and read as declining. */
  Attempt tryMount(long id, String key, Map<String, String> labels, Path mp) {
    try {
      Optional<MountedLayer> layer = mounter.mount(key, labels, mp);
      if (layer.isEmpty()) {
        log.debug("remote layer declined key={} id={}", key, id);
        return new Attempt(layer, Optional.empty());
      }
      if (!layer.get().mountpoint().equals(mp)) {
        mounter.unmount(layer.get().mountpoint());
        throw new IOException(
            "mounter used mountpoint " + layer.get().mountpoint() + " instead of " + mp);
      }
      mounted.put(id, mp);
      log.info("remote layer mounted key={} id={} mountpoint={}", key, id, mp);
      return new Attempt(layer, Optional.empty());
    } catch (IOException | RuntimeException e) {
      log.warn("remote layer mount failed, falling back to unpack key={} id={} error={}", key, id, e.toString());
      return new Attempt(Optional.empty(), Optional.of(reason(e)));
    }
  }

  /** The failure as a person reads it: its message, else its type. */
  private static String reason(Throwable e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }

  /** The restart step for one committed remote snapshot; returns whether it is mounted. */
  boolean remount(long id, String name, Map<String, String> labels, Path mp) {
    try {
      if (mounter.check(mp)) {
        mounted.put(id, mp);
        log.info("remote layer still mounted name={} id={}", name, id);
        return true;
      }
      Optional<MountedLayer> layer = mounter.mount(name, labels, mp);
      if (layer.isEmpty()) {
        throw new IOException("the layer mounter declined the layer");
      }
      mounted.put(id, mp);
      remountErrors.remove(id);
      log.info("remote layer remounted name={} id={} mountpoint={}", name, id, mp);
      return true;
    } catch (IOException | RuntimeException e) {
      remountErrors.put(id, e.toString());
      log.error("remote layer remount failed name={} id={} error={}", name, id, e.toString());
      return false;
    }
  }

  /** Unmounts the layer of {@code id} if mounted (or if {@code force}, whatever is there). */
  void unmount(long id, Path mp, boolean force) throws IOException {
    remountErrors.remove(id);
    Path known = mounted.remove(id);
    if (known != null || force) {
      mounter.unmount(mp);
      log.info("remote layer unmounted id={} mountpoint={}", id, mp);
    }
  }

  Optional<String> remountError(long id) {
    return Optional.ofNullable(remountErrors.get(id));
  }

  int count() {
    return mounted.size();
  }

  /** Unmounts every mounted layer, gathering failures. */
  void unmountAll() throws IOException {
    IOException failure = null;
    for (Map.Entry<Long, Path> e : Map.copyOf(mounted).entrySet()) {
      try {
        unmount(e.getKey(), e.getValue(), false);
      } catch (IOException ex) {
        if (failure == null) {
          failure = new IOException("unmounting remote layers failed");
        }
        failure.addSuppressed(ex);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
