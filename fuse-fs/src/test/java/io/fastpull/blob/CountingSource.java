package io.fastpull.blob;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link ChunkSource} wrapping another that records every request and can be made to stall
 * (block until released or interrupted) or to fail, as a registry outage would.
 */
public final class CountingSource implements ChunkSource {
  /** One request as the reader sent it. */
  public record Request(long offset, int length) {}

  private final ChunkSource inner;
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicInteger stalled = new AtomicInteger();
  private volatile CountDownLatch stall;
  private volatile boolean down;

  public CountingSource(ChunkSource inner) {
    this.inner = inner;
  }

  @Override
  public void read(long offset, byte[] dst, int dstOff, int len) throws IOException {
    requests.add(new Request(offset, len));
    bytes.addAndGet(len);
    CountDownLatch s = stall;
    if (s != null) {
      stalled.incrementAndGet();
      try {
        s.await();
      } catch (InterruptedException e) {
        throw new InterruptedIOException("stalled request interrupted");
      } finally {
        stalled.decrementAndGet();
      }
    }
    if (down) {
      throw new IOException("source is down");
    }
    inner.read(offset, dst, dstOff, len);
  }

  /** From now on requests block until {@link #recover()} or interruption. */
  public void stall() {
    stall = new CountDownLatch(1);
  }

  /** From now on requests fail at once. */
  public void goDown() {
    down = true;
  }

  /** Releases stalled requests and serves normally again. */
  public void recover() {
    down = false;
    CountDownLatch s = stall;
    stall = null;
    if (s != null) {
      s.countDown();
    }
  }

  /** Requests blocked in a stall right now. */
  public int stalled() {
    return stalled.get();
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public long bytes() {
    return bytes.get();
  }

  public void reset() {
    requests.clear();
    bytes.set(0);
  }

  @Override
  public long size() throws IOException {
    return inner.size();
  }

  @Override
  public String describe() {
    return "counting:" + inner.describe();
  }

  @Override
  public void close() throws IOException {
    recover();
    inner.close();
  }
}
