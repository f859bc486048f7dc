package io.fastpull.metrics;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Named metrics of one process, rendered in Prometheus text format by {@link #scrape()}.
 * Registering a name twice with the same type returns the existing metric; with another type it
 * throws {@link IllegalArgumentException}. Thread-safe.
 */
public final class MetricsRegistry {
  /** Latency buckets in seconds, from 1 ms to 10 s. */
  public static final double[] LATENCY_BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final Map<String, Family<?>> families = new ConcurrentSkipListMap<>();

  public Counter counter(String name, String help, String... labelNames) {
    CounterFamily f = register(name, CounterFamily.class, () -> new CounterFamily(name, help, List.of(labelNames)));
    return f;
  }

  public Histogram histogram(String name, String help, double[] buckets, String... labelNames) {
    return register(
        name, HistogramFamily.class, () -> new HistogramFamily(name, help, List.of(labelNames), buckets));
  }

  /** A gauge read from {@code value} at each scrape. */
  public void gauge(String name, String help, LongSupplier value) {
    register(name, GaugeFamily.class, () -> new GaugeFamily(name, help, value));
  }

  /**
   * Gauges with labels, read from {@code values} at each scrape: one series per entry, keyed by
   * its label values (in {@code labelNames} order). For things that come and go, such as
   * mounted layers.
   */
  public void gaugeFamily(String name, String help, Supplier<Map<List<String>, Long>> values,
      String... labelNames) {
    register(name, LabeledGaugeFamily.class,
        () -> new LabeledGaugeFamily(name, help, List.of(labelNames), values));
  }

  /** The Prometheus text exposition (format 0.0.4) of every metric. */
  public String scrape() {
    StringBuilder out = new StringBuilder();
    for (Family<?> f : families.values()) {
      f.write(out);
    }
    return out.toString();
  }

  private <F extends Family<?>> F register(String name, Class<F> type, java.util.function.Supplier<F> create) {
    Family<?> f = families.computeIfAbsent(name, n -> create.get());
    if (!type.isInstance(f)) {
      throw new IllegalArgumentException("metric " + name + " is already registered as another type");
    }
    return type.cast(f);
  }

  private static final class CounterFamily extends Family<LongAdder> implements Counter {
    CounterFamily(String name, String help, List<String> labelNames) {
      super(name, help, labelNames);
    }

    @Override
    public void add(long amount, String... labelValues) {
      if (amount < 0) {
        throw new IllegalArgumentException("counter " + name + " cannot decrease: " + amount);
      }
      series(labelValues, k -> new LongAdder()).add(amount);
    }

    @Override
    void write(StringBuilder out) {
      out.append("# HELP ").append(name).append(' ').append(help).append('\n');
      out.append("# TYPE ").append(name).append(" counter\n");
      series.forEach((k, v) -> out.append(name).append(labels(k, null, null)).append(' ').append(v.sum()).append('\n'));
    }
  }

  private static final class GaugeFamily extends Family<Void> {
    private final LongSupplier value;

    GaugeFamily(String name, String help, LongSupplier value) {
      super(name, help, List.of());
      this.value = value;
    }

    @Override
    void write(StringBuilder out) {
      out.append("# HELP ").append(name).append(' ').append(help).append('\n');
      out.append("# TYPE ").append(name).append(" gauge\n");
      out.append(name).append(' ').append(value.getAsLong()).append('\n');
    }
  }

  private static final class LabeledGaugeFamily extends Family<Void> {
    private final Supplier<Map<List<String>, Long>> values;

    LabeledGaugeFamily(String name, String help, List<String> labelNames,
        Supplier<Map<List<String>, Long>> values) {
      super(name, help, labelNames);
      this.values = values;
    }

    @Override
    void write(StringBuilder out) {
      out.append("# HELP ").append(name).append(' ').append(help).append('\n');
      out.append("# TYPE ").append(name).append(" gauge\n");
      Map<List<String>, Long> sorted =
          new java.util.TreeMap<>(java.util.Comparator.comparing(List::toString));
      sorted.putAll(values.get());
      sorted.forEach((k, v) -> out.append(name).append(labels(k, null, null)).append(' ')
          .append(v).append('\n'));
    }
  }

  private static final class HistogramFamily extends Family<HistogramFamily.Series> implements Histogram {
    private final double[] bounds;

    private static final class Series {
      final AtomicLong[] buckets;
      final DoubleAdder sum = new DoubleAdder();
      final LongAdder count = new LongAdder();

      Series(int n) {
        buckets = new AtomicLong[n];
        Arrays.setAll(buckets, i -> new AtomicLong());
      }
    }

    HistogramFamily(String name, String help, List<String> labelNames, double[] bounds) {
      super(name, help, labelNames);
      this.bounds = bounds.clone();
      for (int i = 1; i < bounds.length; i++) {
        if (bounds[i] <= bounds[i - 1]) {
          throw new IllegalArgumentException("histogram " + name + " buckets must increase: " + Arrays.toString(bounds));
        }
      }
    }

    @Override
    public void observe(double value, String... labelValues) {
      Series s = series(labelValues, k -> new Series(bounds.length));
      for (int i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          s.buckets[i].incrementAndGet();
        }
      }
      s.sum.add(value);
      s.count.increment();
    }

    @Override
    void write(StringBuilder out) {
      out.append("# HELP ").append(name).append(' ').append(help).append('\n');
      out.append("# TYPE ").append(name).append(" histogram\n");
      series.forEach(
          (k, s) -> {
            for (int i = 0; i < bounds.length; i++) {
              out.append(name).append("_bucket").append(labels(k, "le", Double.toString(bounds[i])))
                  .append(' ').append(s.buckets[i].get()).append('\n');
            }
            out.append(name).append("_bucket").append(labels(k, "le", "+Inf")).append(' ').append(s.count.sum()).append('\n');
            out.append(name).append("_sum").append(labels(k, null, null)).append(' ').append(s.sum.sum()).append('\n');
            out.append(name).append("_count").append(labels(k, null, null)).append(' ').append(s.count.sum()).append('\n');
          });
    }
  }
}
