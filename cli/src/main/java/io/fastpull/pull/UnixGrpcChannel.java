package io.fastpull.pull;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A plaintext gRPC channel over a Unix socket (containerd's, the fastpull daemon's), with its own
 * one-thread event loop. Nothing is sent until the first call. Close is idempotent; it shuts the
 * channel and its loop down, waiting up to 5 s for each.
 */
public final class UnixGrpcChannel implements AutoCloseable {
  private final EventLoopGroup group;
  private final ManagedChannel channel;
  private boolean closed;

  public UnixGrpcChannel(Path socket) {
    this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(group)
        .usePlaintext()
        // gRPC asks for TCP keepalive, which a Unix socket does not have (Netty warns): unset it
        .withOption(ChannelOption.SO_KEEPALIVE, null)
        .maxInboundMessageSize(64 << 20)
        .build();
  }

  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
