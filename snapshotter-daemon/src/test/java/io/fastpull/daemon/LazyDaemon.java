package io.fastpull.daemon;

import io.fastpull.proto.control.v1.LayerStatus;
import io.fastpull.proto.control.v1.LayersRequest;
import io.fastpull.proto.control.v1.TracesRequest;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * A real daemon with the FUSE layer mounter over a real local registry, a registry client for
 * pushing fixtures, and a client on the daemon's socket. Background fill is off, so that fetch
 * counters show only prefetch and reads. Closing unmounts and stops everything it started.
 */
final class LazyDaemon implements AutoCloseable {
  final LocalRegistry registry;
  final RegistryClient client;
  final SnapshotterDaemon daemon;
  final DaemonClient socket;
  private final Path dir;

  private LazyDaemon(Path dir, LocalRegistry registry, RegistryClient client,
      SnapshotterDaemon daemon) {
    this.dir = dir;
    this.registry = registry;
    this.client = client;
    this.daemon = daemon;
    this.socket = new DaemonClient(daemon.config().socket());
  }

  static LazyDaemon start(Path dir) throws IOException {
    return start(dir, b -> b);
  }

  /** A daemon whose configuration {@code tweak} changes (after the defaults above). */
  static LazyDaemon start(Path dir, UnaryOperator<DaemonConfig.Builder> tweak) throws IOException {
    LocalRegistry registry = LocalRegistry.builder(dir.resolve("registry")).start();
    RegistryClient client = null;
    try {
      client = RegistryClient.builder().plainHttp(registry.host()).build();
      DaemonConfig config = tweak.apply(DaemonHarness.config(dir.resolve("d")).toBuilder()
          .lazy(true)
          .hostsDir(Optional.empty())
          .dockerConfig(Optional.empty())
          .plainHttp(List.of(registry.host()))
          .readTimeout(Duration.ofSeconds(20))
          .cacheSizeBytes(64L << 20)
          .backgroundFetch(false))
          .build();
      return new LazyDaemon(dir, registry, client, SnapshotterDaemon.builder(config).start());
    } catch (IOException | RuntimeException e) {
      if (client != null) {
        client.close();
      }
      registry.close();
      throw e;
    }
  }

  /** The layer's status, once {@code ready} holds (polled, at most 30 s). */
  LayerStatus awaitLayer(String blob, Predicate<LayerStatus> ready) throws InterruptedException {
    Instant end = Instant.now().plusSeconds(30);
    LayerStatus last = null;
    while (Instant.now().isBefore(end)) {
      last = layer(blob);
      if (ready.test(last)) {
        return last;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("layer never got ready: " + last);
  }

  LayerStatus layer(String blob) {
    List<LayerStatus> layers = socket.control()
        .layers(LayersRequest.newBuilder().addBlobDigests(blob).build()).getLayersList();
    if (layers.size() != 1) {
      throw new AssertionError("expected one mount of " + blob + ": " + layers);
    }
    return layers.get(0);
  }

  List<Integer> trace(String blob) {
    return socket.control().traces(TracesRequest.newBuilder().addBlobDigests(blob).build())
        .getTraces(0).getChunksList();
  }

  @Override
  public void close() throws Exception {
    try {
      socket.close();
      daemon.close();
    } finally {
      try {
        HostMounts.unmountAllUnder(dir, true);
      } finally {
        client.close();
        registry.close();
      }
    }
  }
}
