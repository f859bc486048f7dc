package io.fastpull.registry.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An HTTP/1.1 proxy on 127.0.0.1 in front of a real registry that injects named failures. Each client
 * connection carries one request (responses say {@code Connection: close}); the request goes upstream
 * unchanged (Host included, so upload Locations point back at the proxy) unless a {@link Fault} matches
 * its path. Faults are consulted in the order added; each fires a bounded number of times.
 *
 * <p>Request bodies (Content-Length only, not chunked) are streamed through, never held, so multi-GiB
 * uploads pass; {@link #throttleRequestBodies} caps their rate per connection. Faults may also break or
 * stall a request body, or hold back a response. Counts requests, request and response body bytes per
 * path ({@link #requests}, {@link #requestBodyBytes}, {@link #bodyBytes}) and keeps a log of requests
 * ({@link #seen}). Thread-safe; {@link #close()} stops accepting, wakes stalls and closes open sockets
 * (idempotent).
 */
public final class FaultProxy implements AutoCloseable {
  /** What to do to a matching request. */
  public enum Action {
    /** Answer with a status (and Retry-After for 429) without asking upstream. */
    STATUS,
    /** Forward, then reset the connection (RST) after {@code afterBytes} of the response body. */
    RESET,
    /** Forward, then stop sending for {@code stall} after {@code afterBytes} of the body. */
    STALL,
    /** Drop the Range header, so the registry answers 200 with the whole blob. */
    IGNORE_RANGE,
    /**
     * Forward {@code afterBytes} of the request body, then reset the client connection (RST) and close the
     * upstream one: the registry sees a body cut short.
     */
    RESET_REQUEST,
    /**
     * Take {@code afterBytes} of the request body, then reset the client connection without ever asking
     * upstream, as a front proxy that buffers request bodies (nginx's default) does when its client goes.
     */
    LOSE_REQUEST,
    /** Stop reading the request body for {@code stall} after {@code afterBytes} of it, then go on. */
    STALL_REQUEST,
    /** Forward the request, then hold the response back for {@code stall} before relaying it. */
    DELAY_RESPONSE
  }

  /**
   * A failure to inject into requests whose path contains {@code pathPart} (and whose method is {@code
   * method}, when not null), at most {@code times} times ({@code Integer.MAX_VALUE} for always), after
   * letting the first {@code skip} matching requests through untouched.
   */
  public record Fault(Action action, String pathPart, int times, int status, int retryAfterSeconds, long afterBytes,
      Duration stall, String method, int skip) {
    public Fault {
      if (times < 1) throw new IllegalArgumentException("fault must fire at least once, got times=" + times);
      if (skip < 0) throw new IllegalArgumentException("skip must not be negative, got " + skip);
    }

    Fault(Action action, String pathPart, int times, int status, int retryAfterSeconds, long afterBytes,
        Duration stall) {
      this(action, pathPart, times, status, retryAfterSeconds, afterBytes, stall, null, 0);
    }

    /** This fault, only for requests with {@code method} (e.g. PATCH). */
    public Fault onMethod(String method) {
      return new Fault(action, pathPart, times, status, retryAfterSeconds, afterBytes, stall, method, skip);
    }

    /** This fault, firing only after {@code n} matching requests went through untouched. */
    public Fault skipping(int n) {
      return new Fault(action, pathPart, times, status, retryAfterSeconds, afterBytes, stall, method, n);
    }

    /** Forward {@code afterBytes} of the request body, then reset; see {@link Action#RESET_REQUEST}. */
    public static Fault resetRequestAfter(String pathPart, long afterBytes, int times) {
      return new Fault(Action.RESET_REQUEST, pathPart, times, 0, -1, afterBytes, Duration.ZERO);
    }

    /** Take {@code afterBytes} of the request body and reset, upstream never asked; see {@link Action#LOSE_REQUEST}. */
    public static Fault loseRequestAfter(String pathPart, long afterBytes, int times) {
      return new Fault(Action.LOSE_REQUEST, pathPart, times, 0, -1, afterBytes, Duration.ZERO);
    }

    /** Stop reading the request body for {@code stall} after {@code afterBytes} of it. */
    public static Fault stallRequestAfter(String pathPart, long afterBytes, Duration stall, int times) {
      return new Fault(Action.STALL_REQUEST, pathPart, times, 0, -1, afterBytes, stall);
    }

    /** Hold the response back for {@code delay} once upstream answered. */
    public static Fault delayResponse(String pathPart, Duration delay, int times) {
      return new Fault(Action.DELAY_RESPONSE, pathPart, times, 0, -1, 0, delay);
    }

    /** Answer {@code status} (e.g. 503) {@code times} times. */
    public static Fault status(String pathPart, int status, int times) {
      return new Fault(Action.STATUS, pathPart, times, status, -1, 0, Duration.ZERO);
    }

    /** Answer 429 with {@code Retry-After: seconds} {@code times} times. */
    public static Fault tooManyRequests(String pathPart, int retryAfterSeconds, int times) {
      return new Fault(Action.STATUS, pathPart, times, 429, retryAfterSeconds, 0, Duration.ZERO);
    }

    /** Reset the connection after {@code afterBytes} body bytes, {@code times} times. */
    public static Fault resetAfter(String pathPart, long afterBytes, int times) {
      return new Fault(Action.RESET, pathPart, times, 0, -1, afterBytes, Duration.ZERO);
    }

    /** Stall for {@code stall} after {@code afterBytes} body bytes, {@code times} times. */
    public static Fault stallAfter(String pathPart, long afterBytes, Duration stall, int times) {
      return new Fault(Action.STALL, pathPart, times, 0, -1, afterBytes, stall);
    }

    /** Strip Range headers {@code times} times. */
    public static Fault ignoreRange(String pathPart, int times) {
      return new Fault(Action.IGNORE_RANGE, pathPart, times, 0, -1, 0, Duration.ZERO);
    }
  }

  /**
   * One request as the proxy saw it.
   *
   * @param contentRange the request's Content-Range header, or null
   * @param bodyBytes request body bytes taken from the client
   */
  public record Seen(String method, String path, String contentRange, long bodyBytes) {}

  private static final class Armed {
    final Fault fault;
    int left;
    int skip;

    Armed(Fault fault) {
      this.fault = fault;
      this.left = fault.times();
      this.skip = fault.skip();
    }
  }

  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final ExecutorService executor;
  private final List<Armed> faults = new ArrayList<>();
  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> bytes = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> requestBytes = new ConcurrentHashMap<>();
  private final List<Seeing> seen = new CopyOnWriteArrayList<>();
  private volatile long throttle;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  private volatile boolean closed;

  private FaultProxy(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.server = new ServerSocket();
    // A fixed, modest receive buffer (no autotuning up to tens of MiB on loopback): a request body the
    // proxy stops reading stalls the sender within a few hundred KiB, as a stalled network would.
    server.setReceiveBufferSize(256 << 10);
    server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 50);
    this.executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fault-proxy");
      t.setDaemon(true);
      return t;
    });
    executor.execute(this::acceptLoop);
  }

  /** Starts a proxy forwarding to {@code upstreamHost} ({@code 127.0.0.1:PORT}, plain HTTP). */
  public static FaultProxy start(String upstreamHost) throws IOException {
    int colon = upstreamHost.lastIndexOf(':');
    return new FaultProxy(new InetSocketAddress(upstreamHost.substring(0, colon),
        Integer.parseInt(upstreamHost.substring(colon + 1))));
  }

  /** {@code 127.0.0.1:PORT} of the proxy. */
  public String host() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** Arms {@code fault}. */
  public synchronized FaultProxy inject(Fault fault) {
    faults.add(new Armed(fault));
    return this;
  }

  /** Disarms all faults, lifts the throttle and resets the counters and the log. */
  public synchronized void reset() {
    faults.clear();
    requests.clear();
    bytes.clear();
    requestBytes.clear();
    seen.clear();
    throttle = 0;
  }

  /** Caps each connection's request body at {@code bytesPerSecond} (0: no cap), for requests from now on. */
  public FaultProxy throttleRequestBodies(long bytesPerSecond) {
    if (bytesPerSecond < 0) throw new IllegalArgumentException("rate must not be negative, got " + bytesPerSecond);
    throttle = bytesPerSecond;
    return this;
  }

  /** Request body bytes taken from clients for paths containing {@code pathPart}. */
  public long requestBodyBytes(String pathPart) {
    return sum(requestBytes, pathPart);
  }

  /** The requests seen so far, in the order they arrived, with the body bytes taken so far. */
  public List<Seen> seen() {
    return seen.stream().map(e -> new Seen(e.method, e.path, e.contentRange, e.body.taken)).toList();
  }

  private record Seeing(String method, String path, String contentRange, Body body) {}

  /** Requests seen whose path contains {@code pathPart}. */
  public long requests(String pathPart) {
    return sum(requests, pathPart);
  }

  /** Response body bytes sent to clients for paths containing {@code pathPart}. */
  public long bodyBytes(String pathPart) {
    return sum(bytes, pathPart);
  }

  private static long sum(Map<String, AtomicLong> m, String part) {
    return m.entrySet().stream().filter(e -> e.getKey().contains(part)).mapToLong(e -> e.getValue().get()).sum();
  }

  private synchronized Fault take(String method, String path) {
    for (Armed a : faults) {
      if (a.left > 0 && path.contains(a.fault.pathPart())
          && (a.fault.method() == null || a.fault.method().equalsIgnoreCase(method))) {
        if (a.skip > 0) {
          a.skip--;
          return null;
        }
        a.left--;
        return a.fault;
      }
    }
    return null;
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        open.add(s);
        executor.execute(() -> serve(s));
      } catch (IOException e) {
        if (!closed) continue;
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      client.setSoTimeout(30_000);
      InputStream in = client.getInputStream();
      byte[] head = readHead(in);
      if (head == null) return;
      List<String> lines = new ArrayList<>(List.of(new String(head, StandardCharsets.ISO_8859_1).split("\r\n")));
      String[] requestLine = lines.get(0).split(" ");
      String method = requestLine[0];
      String path = requestLine.length > 1 ? requestLine[1] : "/";
      long contentLength = 0;
      String contentRange = null;
      for (String l : lines) {
        String lower = l.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) contentLength = Long.parseLong(l.substring(15).trim());
        if (lower.startsWith("content-range:")) contentRange = l.substring(14).trim();
      }
      requests.computeIfAbsent(path, k -> new AtomicLong()).incrementAndGet();
      Fault fault = take(method, path);
      Action action = fault == null ? null : fault.action();
      Body body = new Body(in, contentLength, requestBytes.computeIfAbsent(path, k -> new AtomicLong()), throttle);
      seen.add(new Seeing(method, path, contentRange, body));
      serve(client, lines, path, body, fault, action);
    } catch (IOException e) {
      // A broken client or upstream ends this exchange; the client sees the broken connection.
    } finally {
      open.remove(client);
    }
  }

  private void serve(Socket client, List<String> lines, String path, Body body, Fault fault, Action action)
      throws IOException {
    OutputStream out = client.getOutputStream();
    if (action == Action.STATUS) {
      body.copyTo(OutputStream.nullOutputStream(), body.length);
      String extra = fault.retryAfterSeconds() >= 0 ? "Retry-After: " + fault.retryAfterSeconds() + "\r\n" : "";
      String text = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected by FaultProxy\"}]}";
      out.write(("HTTP/1.1 " + fault.status() + " Injected\r\nContent-Type: application/json\r\nContent-Length: "
          + text.length() + "\r\n" + extra + "Connection: close\r\n\r\n" + text).getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return;
    }
    if (action == Action.LOSE_REQUEST) {
      body.copyTo(OutputStream.nullOutputStream(), Math.min(fault.afterBytes(), body.length));
      resetClient(client);
      return;
    }
    StringBuilder upstreamHead = new StringBuilder(lines.get(0)).append("\r\n");
    for (String l : lines.subList(1, lines.size())) {
      String lower = l.toLowerCase(Locale.ROOT);
      if (lower.startsWith("connection:")) continue;
      if (lower.startsWith("range:") && action == Action.IGNORE_RANGE) continue;
      upstreamHead.append(l).append("\r\n");
    }
    upstreamHead.append("Connection: close\r\n\r\n");
    try (Socket up = new Socket()) {
      open.add(up);
      try {
        up.connect(upstream, 5_000);
        up.setSoTimeout(30_000);
        OutputStream upOut = up.getOutputStream();
        upOut.write(upstreamHead.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (action == Action.RESET_REQUEST || action == Action.STALL_REQUEST) {
          body.copyTo(upOut, Math.min(fault.afterBytes(), body.length));
          upOut.flush();
          if (action == Action.RESET_REQUEST) {
            resetClient(client);
            return;
          }
          if (pause(fault.stall())) return;
        }
        body.copyTo(upOut, body.length - body.taken);
        upOut.flush();
        if (action == Action.DELAY_RESPONSE) {
          byte[] upHead = readHead(up.getInputStream());
          if (upHead == null || pause(fault.stall())) return;
          out.write(upHead);
          out.write("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
          relayBody(up.getInputStream(), out, path);
          return;
        }
        relay(up.getInputStream(), client, out, path, fault);
      } finally {
        open.remove(up);
      }
    }
  }

  /** Waits {@code d}; true when the proxy is closing meanwhile. */
  private boolean pause(Duration d) {
    try {
      return closing.await(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private static void resetClient(Socket client) throws IOException {
    client.setSoLinger(true, 0);
    client.close();
  }

  /** A request body being taken from the client, counted and throttled. */
  private static final class Body {
    final InputStream in;
    final long length;
    final AtomicLong counter;
    final long rate;
    final long started = System.nanoTime();
    volatile long taken;

    Body(InputStream in, long length, AtomicLong counter, long rate) {
      this.in = in;
      this.length = length;
      this.counter = counter;
      this.rate = rate;
    }

    /** Copies the next {@code n} bytes of the body to {@code out}. */
    void copyTo(OutputStream out, long n) throws IOException {
      byte[] buf = new byte[64 << 10];
      for (long left = n; left > 0; ) {
        int got = in.read(buf, 0, (int) Math.min(buf.length, left));
        if (got < 0) throw new IOException("request body ended after " + taken + " of " + length + " bytes");
        out.write(buf, 0, got);
        left -= got;
        taken += got;
        counter.addAndGet(got);
        if (rate > 0) {
          long due = started + (long) (taken * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 0) {
            try {
              TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException("interrupted while throttling");
            }
          }
        }
      }
    }
  }

  private void relayBody(InputStream up, OutputStream out, String path) throws IOException {
    AtomicLong counter = bytes.computeIfAbsent(path, k -> new AtomicLong());
    byte[] buf = new byte[8192];
    for (int n; (n = up.read(buf)) >= 0; ) {
      out.write(buf, 0, n);
      counter.addAndGet(n);
    }
    out.flush();
  }

  private void relay(InputStream up, Socket client, OutputStream out, String path, Fault fault) throws IOException {
    AtomicLong counter = bytes.computeIfAbsent(path, k -> new AtomicLong());
    byte[] head = readHead(up);
    if (head == null) return;
    out.write(head);
    out.write("\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    long sent = 0;
    byte[] buf = new byte[8192];
    boolean fired = false;
    while (true) {
      int max = buf.length;
      if (fault != null && !fired && (fault.action() == Action.RESET || fault.action() == Action.STALL)) {
        max = (int) Math.min(max, fault.afterBytes() - sent);
        if (max == 0) {
          out.flush();
          fired = true;
          if (fault.action() == Action.RESET) {
            client.setSoLinger(true, 0);
            client.close();
            return;
          }
          try {
            if (closing.await(fault.stall().toMillis(), TimeUnit.MILLISECONDS)) return;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          continue;
        }
      }
      int n = up.read(buf, 0, max);
      if (n < 0) break;
      out.write(buf, 0, n);
      sent += n;
      counter.addAndGet(n);
    }
    out.flush();
  }

  /** Reads up to the blank line ending an HTTP head; returns the head without it, or null at EOF. */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    while (true) {
      int c = in.read();
      if (c < 0) return null;
      b.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) ? state + 1 : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
      if (state == 4) {
        byte[] all = b.toByteArray();
        return java.util.Arrays.copyOf(all, all.length - 4);
      }
      if (b.size() > 65536) throw new IOException("HTTP head longer than 64 KiB");
    }
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    closing.countDown();
    try {
      server.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    executor.shutdownNow();
  }
}
