/**
 * A small metrics registry (counters, histograms, gauges) and its Prometheus text exposition over
 * HTTP. Other modules add their own metrics to the daemon's {@link
 * io.fastpull.metrics.MetricsRegistry}. Depends on the JDK only.
 */
package io.fastpull.metrics;
