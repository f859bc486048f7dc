package io.fastpull.registry;

import java.time.Duration;

/**
 * How often and how patiently to retry transient failures (HTTP 5xx and 429, connection failures, stalls).
 * The n-th retry waits {@code min(maxBackoff, initialBackoff * 2^(n-1))}, or the registry's
 * {@code Retry-After} capped at {@code maxRetryAfter}.
 *
 * @param maxAttempts total attempts per request including the first, at least 1
 * @param initialBackoff wait before the first retry
 * @param maxBackoff longest computed wait
 * @param maxRetryAfter longest wait honoured from a Retry-After header
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxRetryAfter) {
  /** 4 attempts, 200 ms doubling up to 5 s, Retry-After honoured up to 60 s. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(4, Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofSeconds(60));

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    if (initialBackoff.isNegative() || maxBackoff.isNegative() || maxRetryAfter.isNegative()) {
      throw new IllegalArgumentException(
          "retry durations must not be negative, got " + initialBackoff + ", " + maxBackoff + ", " + maxRetryAfter);
    }
  }

  /** The computed wait before attempt {@code attempt + 1} (attempt counts from 1). */
  Duration backoff(int attempt) {
    Duration d = initialBackoff;
    for (int i = 1; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }
}
