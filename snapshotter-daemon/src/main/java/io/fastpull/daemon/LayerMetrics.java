package io.fastpull.daemon;

import io.fastpull.metrics.MetricsRegistry;
import io.fastpull.remote.LayerStatus;
import io.fastpull.remote.LazyLayers;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Per-layer gauges of the mounted lazy layers, labelled by blob digest and snapshot key, read
 * at each scrape: how much of each layer came over the network, how much prefetch helped and how
 * long reads waited. A layer that is unmounted drops out of the next scrape.
 */
final class LayerMetrics {
  private LayerMetrics() {}

  static void register(MetricsRegistry metrics, LazyLayers layers) {
    gauge(metrics, layers, "fastpull_layer_stored_bytes",
        "Stored (compressed) chunk bytes of a mounted lazy layer.", LayerStatus::storedBytes);
    gauge(metrics, layers, "fastpull_layer_fetched_bytes",
        "Bytes a mounted lazy layer fetched from its registry.",
        s -> s.stats().sourceBytes());
    gauge(metrics, layers, "fastpull_layer_background_bytes",
        "Bytes a mounted lazy layer fetched by prefetch and background fill.",
        s -> s.stats().backgroundBytes());
    gauge(metrics, layers, "fastpull_layer_prefetch_chunks",
        "Chunks queued for prefetch when the layer was mounted.", LayerStatus::prefetchChunks);
    gauge(metrics, layers, "fastpull_layer_prefetch_hits",
        "Reads of chunks that prefetch, read-ahead or fill had fetched first.",
        s -> s.stats().prefetchHits());
    gauge(metrics, layers, "fastpull_layer_on_demand_waits",
        "Reads that waited for the registry.", s -> s.stats().onDemandWaits());
    gauge(metrics, layers, "fastpull_layer_on_demand_wait_microseconds",
        "Total time reads waited for the registry.",
        s -> s.stats().onDemandWaitNanos() / 1000);
    gauge(metrics, layers, "fastpull_layer_failures",
        "Reads that failed (registry error, corrupt chunk or timeout).",
        s -> s.stats().failures());
  }

  private static void gauge(MetricsRegistry metrics, LazyLayers layers, String name, String help,
      ToLongFunction<LayerStatus> value) {
    metrics.gaugeFamily(name, help, () -> {
      Map<List<String>, Long> out = new HashMap<>();
      for (LayerStatus s : layers.layers()) {
        out.merge(List.of(s.blob().toString(), s.snapshotKey()), value.applyAsLong(s),
            Long::sum);
      }
      return out;
    }, "layer", "snapshot");
  }
}
