package io.fastpull.daemon;

import io.fastpull.proto.containerd.snapshots.v1.SnapshotsGrpc;
import io.fastpull.snapshot.LayerMounter;
import io.fastpull.snapshot.RemoteLayerPolicy;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A daemon on a temp root plus a gRPC client on its real Unix socket. */
final class DaemonHarness implements AutoCloseable {
  final Path root;
  final Path socket;
  final SnapshotterDaemon daemon;
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final ManagedChannel channel;
  final SnapshotsGrpc.SnapshotsBlockingStub stub;

  private DaemonHarness(Path root, Path socket, SnapshotterDaemon daemon) {
    this.root = root;
    this.socket = socket;
    this.daemon = daemon;
    this.channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(group)
            .usePlaintext()
            .build();
    this.stub = SnapshotsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  static DaemonConfig config(Path dir) {
    return DaemonConfig.builder()
        .root(dir.resolve("root"))
        .socket(dir.resolve("run/fastpull.sock"))
        .metricsAddress(Optional.of(new InetSocketAddress("127.0.0.1", 0)))
        .shutdownTimeout(Duration.ofSeconds(5))
        .build();
  }

  static DaemonHarness start(Path dir, LayerMounter mounter) throws IOException {
    return start(dir, mounter, RemoteLayerPolicy.labelled());
  }

  static DaemonHarness start(Path dir, LayerMounter mounter, RemoteLayerPolicy policy)
      throws IOException {
    DaemonConfig config = config(dir);
    SnapshotterDaemon d =
        SnapshotterDaemon.builder(config).layerMounter(mounter).remoteLayerPolicy(policy).start();
    return new DaemonHarness(config.root(), config.socket(), d);
  }

  SnapshotsGrpc.SnapshotsBlockingStub stub() {
    return SnapshotsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  SnapshotsGrpc.SnapshotsStub async() {
    return SnapshotsGrpc.newStub(channel);
  }

  @Override
  public void close() throws IOException {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      daemon.close();
    }
  }
}
