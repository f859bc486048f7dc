package io.fastpull.grpc;

import io.fastpull.metrics.Counter;
import io.fastpull.metrics.Histogram;
import io.fastpull.metrics.MetricsRegistry;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** Counts gRPC calls by method and status code and records their latency. */
final class CallMetrics implements ServerInterceptor {
  private final Counter calls;
  private final Histogram latency;
  private final Clock clock;

  CallMetrics(MetricsRegistry registry, Clock clock) {
    this.calls = registry.counter(
        "fastpull_grpc_calls_total", "gRPC calls handled, by method and status code.", "method", "code");
    this.latency = registry.histogram(
        "fastpull_grpc_call_seconds", "gRPC call latency in seconds, by method.",
        MetricsRegistry.LATENCY_BUCKETS, "method");
    this.clock = clock;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    Instant start = clock.instant();
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            calls.inc(method, status.getCode().name());
            latency.observe(Duration.between(start, clock.instant()).toNanos() / 1e9, method);
            super.close(status, trailers);
          }
        },
        headers);
  }
}
