package io.fastpull.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A response body as an InputStream that fails with TIMEOUT when no bytes arrive for the idle timeout.
 * HttpClient's own request timeout stops at the response headers; this covers the body. It subscribes to
 * the body publisher, asking for one list of buffers at a time, so memory stays bounded.
 *
 * <p>One reader thread at a time; {@link #close()} may be called from any thread, is idempotent, cancels
 * the subscription (freeing the connection) and runs the on-close hook once.
 */
final class BodyStream extends InputStream implements Flow.Subscriber<List<ByteBuffer>> {
  private static final Object END = new Object();

  private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
  private final long idleNanos;
  private final String what;
  private final String host;
  private final Runnable onClose;
  private volatile Flow.Subscription subscription;
  private final java.util.concurrent.atomic.AtomicBoolean closedFlag = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile boolean closed;
  private Iterator<ByteBuffer> current = List.<ByteBuffer>of().iterator();
  private ByteBuffer buffer;
  private boolean done;

  BodyStream(Duration idleTimeout, String what, String host, Runnable onClose) {
    this.idleNanos = idleTimeout.toNanos();
    this.what = what;
    this.host = host;
    this.onClose = onClose;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (closed) {
      s.cancel();
    } else {
      s.request(1);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> item) {
    queue.add(item);
  }

  @Override
  public void onError(Throwable t) {
    queue.add(t);
  }

  @Override
  public void onComplete() {
    queue.add(END);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) return 0;
    if (!fill()) return -1;
    int n = Math.min(len, buffer.remaining());
    buffer.get(b, off, n);
    return n;
  }

  /** Makes {@code buffer} non-empty; false at end of body. */
  private boolean fill() throws IOException {
    while (buffer == null || !buffer.hasRemaining()) {
      if (closed) throw new IOException(what + ": body stream is closed");
      if (current.hasNext()) {
        buffer = current.next();
        continue;
      }
      if (done) return false;
      Object next;
      try {
        next = queue.poll(idleNanos, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        close();
        throw new java.io.InterruptedIOException(what + ": interrupted while reading the body");
      }
      if (next == null) {
        close();
        throw RegistryException.builder(RegistryException.Kind.TIMEOUT, what)
            .bodyPhase()
            .host(host)
            .detail("no data for " + Duration.ofNanos(idleNanos).toMillis() + " ms while reading the body")
            .build();
      }
      if (next == END) {
        done = true;
        return false;
      }
      if (next instanceof Throwable t) {
        done = true;
        throw RegistryException.builder(RegistryException.Kind.UNREACHABLE, what)
            .bodyPhase()
            .host(host)
            .detail("connection failed while reading the body: " + t)
            .cause(t)
            .build();
      }
      @SuppressWarnings("unchecked")
      List<ByteBuffer> list = (List<ByteBuffer>) next;
      current = list.iterator();
      Flow.Subscription s = subscription;
      if (s != null) s.request(1);
    }
    return true;
  }

  /** Reads and discards up to {@code limit} bytes so the connection can be reused, then closes. */
  void drainAndClose(long limit) {
    try {
      long left = limit;
      byte[] skip = new byte[8192];
      int n;
      while (left > 0 && (n = read(skip, 0, (int) Math.min(skip.length, left))) >= 0) left -= n;
    } catch (IOException ignored) {
      // Draining is an optimisation; a broken body just costs the connection.
    } finally {
      close();
    }
  }

  @Override
  public void close() {
    if (!closedFlag.compareAndSet(false, true)) return;
    closed = true;
    Flow.Subscription s = subscription;
    if (s != null) s.cancel();
    onClose.run();
  }
}
