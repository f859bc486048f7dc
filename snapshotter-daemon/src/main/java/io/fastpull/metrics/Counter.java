package io.fastpull.metrics;

/** A monotonically increasing count, one series per combination of label values. Thread-safe. */
public interface Counter {
  /** Adds {@code amount} (non-negative) to the series named by {@code labelValues}. */
  void add(long amount, String... labelValues);

  default void inc(String... labelValues) {
    add(1, labelValues);
  }
}
