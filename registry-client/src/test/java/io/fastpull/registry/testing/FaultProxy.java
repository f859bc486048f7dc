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
 * <p>Counts requests and response body bytes per path ({@link #requests}, {@link #bodyBytes}). Supports
 * request bodies with Content-Length (not chunked). Thread-safe; {@link #close()} stops accepting, wakes
 * stalls and closes open sockets (idempotent).
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
    IGNORE_RANGE
  }

  /**
   * A failure to inject into requests whose path contains {@code pathPart}, at most {@code times} times
   * ({@code Integer.MAX_VALUE} for always).
   */
  public record Fault(Action action, String pathPart, int times, int status, int retryAfterSeconds, long afterBytes,
      Duration stall) {
    public Fault {
      if (times < 1) throw new IllegalArgumentException("fault must fire at least once, got times=" + times);
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

  private static final class Armed {
    final Fault fault;
    int left;

    Armed(Fault fault) {
      this.fault = fault;
      this.left = fault.times();
    }
  }

  private final ServerSocket server;
  private final InetSocketAddress upstream;
  private final ExecutorService executor;
  private final List<Armed> faults = new ArrayList<>();
  private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> bytes = new ConcurrentHashMap<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final CountDownLatch closing = new CountDownLatch(1);
  private volatile boolean closed;

  private FaultProxy(InetSocketAddress upstream) throws IOException {
    this.upstream = upstream;
    this.server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
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

  /** Disarms all faults and resets the counters. */
  public synchronized void reset() {
    faults.clear();
    requests.clear();
    bytes.clear();
  }

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

  private synchronized Fault take(String path) {
    for (Armed a : faults) {
      if (a.left > 0 && path.contains(a.fault.pathPart())) {
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
      String path = requestLine.length > 1 ? requestLine[1] : "/";
      long contentLength = 0;
      for (String l : lines) {
        if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) contentLength = Long.parseLong(l.substring(15).trim());
      }
      byte[] body = in.readNBytes((int) contentLength);
      requests.computeIfAbsent(path, k -> new AtomicLong()).incrementAndGet();
      Fault fault = take(path);
      OutputStream out = client.getOutputStream();
      if (fault != null && fault.action() == Action.STATUS) {
        String extra = fault.retryAfterSeconds() >= 0 ? "Retry-After: " + fault.retryAfterSeconds() + "\r\n" : "";
        String text = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"injected by FaultProxy\"}]}";
        out.write(("HTTP/1.1 " + fault.status() + " Injected\r\nContent-Type: application/json\r\nContent-Length: "
            + text.length() + "\r\n" + extra + "Connection: close\r\n\r\n" + text).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return;
      }
      StringBuilder upstreamHead = new StringBuilder(lines.get(0)).append("\r\n");
      for (String l : lines.subList(1, lines.size())) {
        String lower = l.toLowerCase(Locale.ROOT);
        if (lower.startsWith("connection:")) continue;
        if (lower.startsWith("range:") && fault != null && fault.action() == Action.IGNORE_RANGE) continue;
        upstreamHead.append(l).append("\r\n");
      }
      upstreamHead.append("Connection: close\r\n\r\n");
      try (Socket up = new Socket()) {
        open.add(up);
        up.connect(upstream, 5_000);
        up.setSoTimeout(30_000);
        up.getOutputStream().write(upstreamHead.toString().getBytes(StandardCharsets.ISO_8859_1));
        up.getOutputStream().write(body);
        up.getOutputStream().flush();
        relay(up.getInputStream(), client, out, path, fault);
      }
    } catch (IOException e) {
      // A broken client or upstream ends this exchange; the client sees the broken connection.
    } finally {
      open.remove(client);
    }
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
