package io.fastpull.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 in front of a registry that slows what clients send (uploads) to a
 * fixed rate per connection and counts it, so a test can act while a push is still going on.
 * Answers pass unthrottled. Plain TCP: the registry sees the proxy's address in Host, so upload
 * Locations point back through the proxy. {@link #close()} closes every socket (idempotent).
 */
final class ThrottleProxy implements AutoCloseable {
  private final ServerSocket server;
  private final String upstreamHost;
  private final int upstreamPort;
  private final long bytesPerSecond;
  private final AtomicLong sent = new AtomicLong();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  private ThrottleProxy(String upstream, long bytesPerSecond) throws IOException {
    int colon = upstream.lastIndexOf(':');
    this.upstreamHost = upstream.substring(0, colon);
    this.upstreamPort = Integer.parseInt(upstream.substring(colon + 1));
    this.bytesPerSecond = bytesPerSecond;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "throttle-accept");
    t.setDaemon(true);
    t.start();
  }

  /** A proxy to {@code upstream} ({@code HOST:PORT}) passing client bytes at {@code bytesPerSecond}. */
  static ThrottleProxy start(String upstream, long bytesPerSecond) throws IOException {
    return new ThrottleProxy(upstream, bytesPerSecond);
  }

  /** {@code 127.0.0.1:PORT}, the registry name to use in references. */
  String host() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** Bytes clients sent through the proxy so far. */
  long sentBytes() {
    return sent.get();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket();
        sockets.add(client);
        sockets.add(upstream);
        upstream.connect(new InetSocketAddress(upstreamHost, upstreamPort), 10_000);
        pump(client, upstream, true);
        pump(upstream, client, false);
      } catch (IOException e) {
        // Closed, or the upstream refused this one connection: the client sees it closed.
      }
    }
  }

  private void pump(Socket from, Socket to, boolean throttled) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      long start = System.nanoTime();
      long moved = 0;
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        for (int n; (n = in.read(buf)) > 0; ) {
          if (throttled) {
            moved += n;
            // Sleep until the bytes moved so far are due at the rate.
            long due = start + moved * 1_000_000_000L / bytesPerSecond;
            long wait = due - System.nanoTime();
            if (wait > 0) {
              Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            sent.addAndGet(n);
          }
          out.write(buf, 0, n);
          out.flush();
        }
        to.shutdownOutput();
      } catch (IOException | InterruptedException e) {
        closeQuietly(to);
      }
    }, "throttle-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    sockets.forEach(ThrottleProxy::closeQuietly);
  }
}
