package io.fastpull.grpc;

import io.fastpull.metrics.MetricsRegistry;
import io.fastpull.remote.LazyLayers;
import io.fastpull.snapshot.Snapshotter;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * containerd's snapshots gRPC service, and beside it fastpull's control service (status and access
 * traces of the lazy layers the snapshotter's mounter has mounted, when it is a {@link
 * LazyLayers}), on one Unix socket. Serving starts in {@link #start}. {@link
 * #close()} stops accepting calls, lets in-flight calls finish up to the grace period, then
 * cancels the rest and removes the socket; idempotent. Thread-safe.
 */
public final class SnapshotsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotsServer.class);

  private final Server server;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final Path socket;
  private final Duration grace;
  private boolean closed;

  private SnapshotsServer(Server server, EventLoopGroup boss, EventLoopGroup workers, Path socket, Duration grace) {
    this.server = server;
    this.boss = boss;
    this.workers = workers;
    this.socket = socket;
    this.grace = grace;
  }

  /**
   * Binds {@code socket} and serves {@code snapshotter}.
   *
   * @param group group allowed to connect (socket 0660), or empty for owner only (0600)
   * @param executor runs the calls; owned by the caller
   * @param grace how long {@link #close()} waits for in-flight calls
   */
  public static SnapshotsServer start(
      Path socket,
      Optional<String> group,
      Snapshotter snapshotter,
      LazyLayers layers,
      MetricsRegistry metrics,
      Executor executor,
      Duration grace,
      Clock clock)
      throws IOException {
    UnixSocket.prepare(socket, group);
    EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    CallMetrics callMetrics = new CallMetrics(metrics, clock);
    Server server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toAbsolutePath().toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(workers)
            // gRPC asks for TCP keepalive, which a Unix socket does not have (Netty warns)
            .withChildOption(io.grpc.netty.shaded.io.netty.channel.ChannelOption.SO_KEEPALIVE,
                null)
            .executor(executor)
            .addService(ServerInterceptors.intercept(new SnapshotsService(snapshotter), callMetrics))
            .addService(ServerInterceptors.intercept(new ControlService(layers), callMetrics))
            .build();
    try {
      server.start();
      UnixSocket.restrict(socket, group);
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new IOException("cannot serve on " + socket + ": " + e.getMessage(), e);
    }
    log.info("serving snapshots socket={}", socket);
    return new SnapshotsServer(server, boss, workers, socket, grace);
  }

  /** Blocks until the server has stopped. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("in-flight calls cancelled after grace period grace={}", grace);
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      Files.deleteIfExists(socket);
    }
    log.info("stopped serving socket={}", socket);
  }
}
