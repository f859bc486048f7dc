package io.fastpull.metrics;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves {@code GET /metrics} of a {@link MetricsRegistry} over HTTP. Starts in {@link #start};
 * {@link #close()} stops it and is idempotent.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private boolean closed;

  private MetricsServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Binds {@code address} (port 0 picks a free port) and starts serving. */
  public static MetricsServer start(InetSocketAddress address, MetricsRegistry registry)
      throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new IOException("cannot serve metrics on " + address.getHostString() + ":"
          + address.getPort() + ": " + e.getMessage() + " (another fastpull daemon?); set"
          + " metrics_address (--metrics-address) to a free HOST:PORT, or to disabled", e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "fastpull-metrics");
          t.setDaemon(true);
          return t;
        });
    server.setExecutor(executor);
    server.createContext(
        "/metrics",
        exchange -> {
          try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
              exchange.sendResponseHeaders(405, -1);
              return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
        });
    server.start();
    return new MetricsServer(server, executor);
  }

  /** The bound address (with the real port). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop(0);
    executor.shutdownNow();
  }
}
