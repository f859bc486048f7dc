package io.fastpull.daemon;

import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.DirectoryChunkCache;
import io.fastpull.format.ChunkCodec;
import io.fastpull.fuse.LayerMounter;
import io.fastpull.fuse.MountOptions;
import io.fastpull.metrics.MetricsRegistry;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.auth.CredentialStore;
import io.fastpull.registry.auth.DockerConfigStore;
import io.fastpull.remote.FuseLayerMounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Builds what lazy layers need from the configuration: one registry client, the node's chunk
 * cache under {@code <root>/cache}, a fetch thread pool and the FUSE layer mounter; registers its
 * metrics, and closes it all in the right order (layers are unmounted by the snapshotter first).
 */
final class RemoteStack implements AutoCloseable {
  private final RegistryClient client;
  private final DirectoryChunkCache cache;
  private final ExecutorService fetchers;
  private final FuseLayerMounter mounter;
  private final Path warmUpDir;

  private RemoteStack(RegistryClient client, DirectoryChunkCache cache, ExecutorService fetchers,
      FuseLayerMounter mounter, Path warmUpDir) {
    this.warmUpDir = warmUpDir;
    this.client = client;
    this.cache = cache;
    this.fetchers = fetchers;
    this.mounter = mounter;
  }

  static RemoteStack open(DaemonConfig config, Clock clock, MetricsRegistry metrics)
      throws IOException {
    CredentialStore credentials = config.dockerConfig()
        .filter(Files::isRegularFile)
        .<CredentialStore>map(f -> DockerConfigStore.of(f, DockerConfigStore.pathDirs()))
        .orElse(CredentialStore.anonymous());
    RegistryClient.Builder rb = RegistryClient.builder()
        .credentials(credentials)
        .plainHttp(config.plainHttp().toArray(String[]::new))
        .readTimeout(config.readTimeout())
        .clock(clock)
        .userAgent("fastpull-snapshotter/0.1");
    config.hostsDir().filter(Files::isDirectory).ifPresent(rb::hostsDir);
    RegistryClient client = rb.build();
    DirectoryChunkCache cache = null;
    ExecutorService fetchers = null;
    try {
      cache = DirectoryChunkCache.open(config.root().resolve("cache"), config.cacheSizeBytes(),
          clock);
      AtomicInteger n = new AtomicInteger();
      fetchers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fastpull-fetch-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
      FetchOptions fetch = FetchOptions.defaults().withReadTimeout(config.readTimeout());
      FuseLayerMounter mounter = new FuseLayerMounter(client, cache, fetch, MountOptions.defaults(),
          fetchers, clock, config.root().resolve("layers"), config.backgroundFetch());
      DirectoryChunkCache c = cache;
      metrics.gauge("fastpull_cache_hits", "Chunk cache hits.", () -> c.stats().hits());
      metrics.gauge("fastpull_cache_misses", "Chunk cache misses.", () -> c.stats().misses());
      metrics.gauge("fastpull_cache_size_bytes", "Bytes held in the chunk cache.",
          () -> c.stats().sizeBytes());
      metrics.gauge("fastpull_cache_evicted_bytes", "Bytes evicted from the chunk cache.",
          () -> c.stats().bytesEvicted());
      metrics.gauge("fastpull_fetched_bytes", "Bytes fetched from registries by mounted layers.",
          mounter::bytesFetched);
      LayerMetrics.register(metrics, mounter);
      return new RemoteStack(client, cache, fetchers, mounter, config.root().resolve("warm-up"));
    } catch (IOException | RuntimeException e) {
      if (fetchers != null) {
        fetchers.shutdownNow();
      }
      if (cache != null) {
        cache.close();
      }
      client.close();
      throw e;
    }
  }

  /**
   * The one-time setup the first lazy mount would otherwise pay while containerd waits: the
   * registry client's HTTP/TLS client, zstd's native library, the FUSE binding, and a scratch
   * mount under {@code <root>/warm-up} served a few thousand times so that the read path is
   * compiled. For the daemon's warm-up thread; idempotent; {@code stop} ends it early.
   */
  void warmUp(BooleanSupplier stop) throws IOException {
    client.warmUp();
    ChunkCodec.warmUp();
    if (!stop.getAsBoolean()) {
      LayerMounter.warmUp(warmUpDir, stop);
    }
  }

  FuseLayerMounter mounter() {
    return mounter;
  }

  @Override
  public void close() throws IOException {
    // The snapshotter has unmounted its layers by now; this catches any the mounter still holds.
    mounter.closeAll();
    fetchers.shutdownNow();
    cache.close();
    client.close();
  }

}
