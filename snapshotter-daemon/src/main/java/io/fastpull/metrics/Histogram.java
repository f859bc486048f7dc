package io.fastpull.metrics;

/** A distribution of observed values (e.g. latency in seconds) in fixed buckets. Thread-safe. */
public interface Histogram {
  void observe(double value, String... labelValues);
}
