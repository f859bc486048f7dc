package io.fastpull.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetricsRegistryTest {
  @Test
  void prometheusTextFormat() {
    MetricsRegistry r = new MetricsRegistry();
    Counter c = r.counter("fp_fetch_total", "Fetches.", "result");
    c.inc("hit");
    c.add(2, "miss");
    assertSame(c, r.counter("fp_fetch_total", "Fetches.", "result"));
    r.histogram("fp_seconds", "Latency.", new double[] {0.1, 1}).observe(0.5);
    r.gauge("fp_open", "Open things.", () -> 7);
    String text = r.scrape();
    assertTrue(text.contains("# TYPE fp_fetch_total counter\n"), text);
    assertTrue(text.contains("fp_fetch_total{result=\"hit\"} 1\nfp_fetch_total{result=\"miss\"} 2\n"), text);
    assertTrue(text.contains("fp_seconds_bucket{le=\"0.1\"} 0\nfp_seconds_bucket{le=\"1.0\"} 1\nfp_seconds_bucket{le=\"+Inf\"} 1\n"), text);
    assertTrue(text.contains("fp_seconds_count 1\n"), text);
    assertTrue(text.contains("# TYPE fp_open gauge\nfp_open 7\n"), text);
  }

  @Test
  void labeledGaugesAreReadAtEachScrape() {
    MetricsRegistry r = new MetricsRegistry();
    java.util.Map<java.util.List<String>, Long> now = new java.util.HashMap<>();
    r.gaugeFamily("fp_layer_bytes", "Bytes per layer.", () -> now, "layer");
    assertEquals("# HELP fp_layer_bytes Bytes per layer.\n# TYPE fp_layer_bytes gauge\n",
        r.scrape());
    now.put(java.util.List.of("sha256:b"), 2L);
    now.put(java.util.List.of("sha256:a"), 1L);
    assertTrue(r.scrape().endsWith("fp_layer_bytes{layer=\"sha256:a\"} 1\n"
        + "fp_layer_bytes{layer=\"sha256:b\"} 2\n"), r.scrape());
  }

  @Test
  void misuseIsRejected() {
    MetricsRegistry r = new MetricsRegistry();
    Counter c = r.counter("a_total", "A.", "x");
    assertThrows(IllegalArgumentException.class, () -> c.inc());
    assertThrows(IllegalArgumentException.class, () -> c.add(-1, "v"));
    assertThrows(IllegalArgumentException.class, () -> r.gauge("a_total", "A.", () -> 1));
    assertThrows(IllegalArgumentException.class, () -> r.counter("bad name", "B."));
    assertEquals("", new MetricsRegistry().scrape());
  }
}
