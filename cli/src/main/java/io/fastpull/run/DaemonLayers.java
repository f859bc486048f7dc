package io.fastpull.run;

import io.fastpull.control.ControlException;
import io.fastpull.control.DaemonControl;
import io.fastpull.control.LayerActivity;
import io.fastpull.format.LazyLayer;
import io.fastpull.pull.LayerResult;
import io.fastpull.pull.Puller;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the fastpull daemon what the lazy layers of a pulled image did. Never fails a run: an
 * unreachable daemon or one without the control service gives a reason instead of stats.
 */
final class DaemonLayers {
  private static final Logger log = LoggerFactory.getLogger(DaemonLayers.class);

  /**
   * @param layers per mounted lazy layer, base first
   * @param unavailable why there are no stats, when the daemon could not be asked
   */
  record Stats(List<Report.Layer> layers, Optional<String> unavailable) {
    static final Stats NONE = new Stats(List.of(), Optional.empty());

    Stats {
      layers = List.copyOf(layers);
    }
  }

  private DaemonLayers() {}

  /** The blob digests of the image's layers the snapshotter mounted lazily, base first. */
  static List<String> lazyDigests(Puller.Result pulled) {
    List<String> out = new ArrayList<>();
    for (LayerResult l : pulled.layers()) {
      if (LazyLayer.MEDIA_TYPE.equals(l.layer().mediaType())
          && l.outcome().lazy()) {
        out.add(l.layer().digest().toString());
      }
    }
    return out;
  }

  /**
   * The counters of the image's mounted lazy layers, base first. One blob can be mounted for
   * several snapshots (other namespaces, other images): the mounts made for {@code namespace}
   * are preferred, and of several the latest mount counts.
   */
  static Stats query(Path socket, String namespace, Puller.Result pulled) {
    List<String> digests = lazyDigests(pulled);
    if (digests.isEmpty()) {
      return Stats.NONE;
    }
    List<LayerActivity> activity;
    try (DaemonControl control = DaemonControl.open(socket)) {
      activity = control.layers();
    } catch (ControlException e) {
      log.debug("layer stats unavailable socket={} kind={}", socket, e.kind());
      return new Stats(List.of(), Optional.of(e.getMessage()));
    }
    Map<String, LayerActivity> ours = new HashMap<>();
    Map<String, LayerActivity> others = new HashMap<>();
    for (LayerActivity a : activity) {
      if (digests.contains(a.blobDigest())) {
        // containerd's snapshot keys start with the namespace
        (a.snapshotKey().startsWith(namespace + "/") ? ours : others).put(a.blobDigest(), a);
      }
    }
    List<Report.Layer> layers = new ArrayList<>();
    Set<String> done = new HashSet<>();
    for (LayerResult l : pulled.layers()) {
      String d = l.layer().digest().toString();
      LayerActivity a = ours.getOrDefault(d, others.get(d));
      if (a != null && done.add(d)) {
        layers.add(new Report.Layer(l.index(), a));
      }
    }
    return new Stats(layers, Optional.empty());
  }
}
