package io.fastpull.pull;

import io.fastpull.proto.containerd.introspection.v1.IntrospectionGrpc;
import io.fastpull.proto.containerd.introspection.v1.Plugin;
import io.fastpull.proto.containerd.introspection.v1.PluginsRequest;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a proxy snapshotter listens, as containerd knows it: the {@code address} its
 * {@code [proxy_plugins.NAME]} entry gives, which containerd exports in its introspection
 * service ({@code ctr plugins ls -d id==NAME}). So commands that talk to the fastpull daemon
 * find the daemon containerd uses, whatever socket its config names.
 */
public final class SnapshotterAddress {
  private static final Logger log = LoggerFactory.getLogger(SnapshotterAddress.class);
  private static final String SNAPSHOTTER_TYPE = "io.containerd.snapshotter.v1";

  private SnapshotterAddress() {}

  /**
   * The socket of proxy snapshotter {@code snapshotter} of the containerd at {@code containerd}.
   *
   * @return empty when containerd cannot be asked (no socket, not answering within 5 s) or has
   *     no such proxy snapshotter (a built-in one, or none of that name)
   */
  public static Optional<Path> find(Path containerd, String snapshotter) {
    if (!Files.exists(containerd)) {
      return Optional.empty();
    }
    try (UnixGrpcChannel channel = new UnixGrpcChannel(containerd)) {
      for (Plugin p : IntrospectionGrpc.newBlockingStub(channel.channel())
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .plugins(PluginsRequest.newBuilder()
              .addFilters("type==" + SNAPSHOTTER_TYPE + ",id==" + snapshotter).build())
          .getPluginsList()) {
        // containerd's filter is honoured, but check anyway: a wrong socket is worse than none
        String address = p.getExportsOrDefault("address", "");
        if (p.getType().equals(SNAPSHOTTER_TYPE) && p.getId().equals(snapshotter)
            && !address.isEmpty()) {
          return Optional.of(Path.of(address));
        }
      }
      return Optional.empty();
    } catch (StatusRuntimeException e) {
      log.debug("no snapshotter address from containerd address={} snapshotter={} status={}",
          containerd, snapshotter, e.getStatus());
      return Optional.empty();
    }
  }
}
