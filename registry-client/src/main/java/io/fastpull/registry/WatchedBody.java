package io.fastpull.registry;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A request body that records when the HTTP client last took bytes from it and when it took the last
 * ones, so {@link Transport} can bound a stall while the body is sent and the wait for the response once
 * it is sent, rather than the whole exchange (java.net.http's request timeout counts the upload too,
 * which failed any upload slower than the timeout).
 *
 * <p>The HTTP/1.1 client asks for the next buffer only when it has written the previous one to the
 * connection, so "last handed over" follows the socket within the client's small internal queue. One
 * instance per exchange: the client subscribes once. The recorded times are safe to read from any
 * thread.
 */
final class WatchedBody implements HttpRequest.BodyPublisher {
  private final HttpRequest.BodyPublisher delegate;
  private final LongSupplier ticker;
  private final AtomicLong sent = new AtomicLong();
  private volatile long lastProgress;
  private volatile long finishedAt;
  private volatile boolean finished;
  private volatile boolean started;

  /**
   * @param delegate the body itself
   * @param ticker a monotonic nanosecond clock; its value now counts as the first progress
   */
  WatchedBody(HttpRequest.BodyPublisher delegate, LongSupplier ticker) {
    this.delegate = delegate;
    this.ticker = ticker;
    this.lastProgress = ticker.getAsLong();
  }

  @Override
  public long contentLength() {
    return delegate.contentLength();
  }

  /** Ticker value when bytes were last handed to the client (or when this body was made). */
  long lastProgress() {
    return lastProgress;
  }

  /** Whether the client has started to take the body (it has connected and sent the request head). */
  boolean started() {
    return started;
  }

  /** Whether the client has taken the whole body. */
  boolean finished() {
    return finished;
  }

  /** Ticker value when the client took the last bytes; meaningful once {@link #finished()}. */
  long finishedAt() {
    return finishedAt;
  }

  /** Bytes handed to the client so far. */
  long bytesSent() {
    return sent.get();
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ByteBuffer> downstream) {
    delegate.subscribe(
        new Flow.Subscriber<ByteBuffer>() {
          @Override
          public void onSubscribe(Flow.Subscription s) {
            lastProgress = ticker.getAsLong();
            started = true;
            downstream.onSubscribe(s);
          }

          @Override
          public void onNext(ByteBuffer item) {
            sent.addAndGet(item.remaining());
            lastProgress = ticker.getAsLong();
            downstream.onNext(item);
          }

          @Override
          public void onError(Throwable t) {
            downstream.onError(t);
          }

          @Override
          public void onComplete() {
            finishedAt = ticker.getAsLong();
            finished = true;
            downstream.onComplete();
          }
        });
  }
}
