package io.fastpull.remote;

import io.fastpull.blob.ChunkReader;
import io.fastpull.blob.ChunkSource;
import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.ChunkCache;
import io.fastpull.format.BlobFooter;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.fuse.MountOptions;
import io.fastpull.fuse.MountedLayer;
import io.fastpull.registry.RegistryClient;
import io.fastpull.snapshot.LayerMounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts lazy layers with fuse-fs, reading chunks from the registry through the node's shared
 * chunk cache. Declines every layer that is not a fastpull lazy blob, so containerd unpacks those
 * the ordinary way.
 *
 * <p>A mounted layer's metadata is kept under {@code <state>/meta/} (digest-checked again when
 * read), so that a restarted daemon remounts without fetching it again. Right after mounting, the
 * layer's prefetch table is fetched in the background. Thread-safe.
 */
public final class FuseLayerMounter implements LayerMounter {
  private static final Logger log = LoggerFactory.getLogger(FuseLayerMounter.class);

  private final RegistryClient client;
  private final LazyLayerResolver resolver;
  private final ChunkCache cache;
  private final FetchOptions fetchOptions;
  private final MountOptions mountOptions;
  private final Executor executor;
  private final Clock clock;
  private final Path metaDir;
  private final Map<Path, Mounted> mounts = new ConcurrentHashMap<>();

  private record Mounted(MountedLayer fuse, ChunkReader reader) {}

  /**
   * @param stateDir where layer metadata is kept between restarts (created if missing)
   * @param executor runs registry requests for chunk fetches; the caller owns it
   */
  public FuseLayerMounter(RegistryClient client, ChunkCache cache, FetchOptions fetchOptions,
      MountOptions mountOptions, Executor executor, Clock clock, Path stateDir) throws IOException {
    this.client = client;
    this.resolver = new LazyLayerResolver(client);
    this.cache = cache;
    this.fetchOptions = fetchOptions;
    this.mountOptions = mountOptions;
    this.executor = executor;
    this.clock = clock;
    this.metaDir = Files.createDirectories(stateDir.resolve("meta"));
  }

  @Override
  public Optional<io.fastpull.snapshot.MountedLayer> mount(String snapshotKey,
      Map<String, String> labels, Path mountpoint) throws IOException {
    Optional<LazyLayerRef> found = resolver.resolve(labels);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    LazyLayerRef ref = found.get();
    ChunkSource source = new RegistryChunkSource(client, ref.repo(), ref.blob(), ref.blobSize());
    LayerMeta meta = metadata(ref, source);
    ChunkReader reader = ChunkReader.open(ref.blob().toString(), source, cache, fetchOptions,
        executor, clock);
    MountedLayer fuse;
    try {
      fuse = io.fastpull.fuse.LayerMounter.mount(mountpoint, meta, reader, mountOptions);
    } catch (IOException | RuntimeException e) {
      reader.close();
      throw e;
    }
    mounts.put(mountpoint.toAbsolutePath().normalize(), new Mounted(fuse, reader));
    int[] prefetch = meta.prefetch();
    if (prefetch.length > 0) {
      List<ChunkInfo> chunks = new ArrayList<>(prefetch.length);
      for (int c : prefetch) {
        chunks.add(meta.chunk(c));
      }
      reader.prefetch(chunks);
    }
    log.info("lazy layer mounted key={} blob={} repo={} inodes={} chunks={} prefetch={}",
        snapshotKey, ref.blob(), ref.repo().registry() + "/" + ref.repo().repository(),
        meta.inodeCount(), meta.chunkCount(), prefetch.length);
    return Optional.of(new io.fastpull.snapshot.MountedLayer(mountpoint,
        LazyLayerResolver.labelsFor(ref)));
  }

  /** The layer's metadata from the local copy, or from the registry (then kept locally). */
  private LayerMeta metadata(LazyLayerRef ref, ChunkSource source) throws IOException {
    BlobFooter footer = ref.footer();
    Path local = metaDir.resolve(ref.blob().hex());
    byte[] stored = null;
    if (Files.isRegularFile(local)) {
      byte[] bytes = Files.readAllBytes(local);
      try {
        LayerBlob.verifyMetadataRegion(footer, bytes);
        stored = bytes;
      } catch (IOException damaged) {
        log.warn("local metadata damaged, fetching again blob={} error={}", ref.blob(),
            damaged.toString());
        Files.deleteIfExists(local);
      }
    }
    if (stored == null) {
      stored = LayerBlob.readMetadataRegion(new ChunkSourceBlob(source), footer,
          LayerBlob.DEFAULT_MAX_METADATA);
      Path tmp = Files.createTempFile(metaDir, ref.blob().hex(), ".wip");
      Files.write(tmp, stored);
      Files.move(tmp, local, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
    return LayerMeta.decode(LayerBlob.decodeMetadata(footer, stored,
        LayerBlob.DEFAULT_MAX_METADATA));
  }

  @Override
  public boolean check(Path mountpoint) {
    Mounted m = mounts.get(mountpoint.toAbsolutePath().normalize());
    return m != null && !io.fastpull.fuse.LayerMounter.isStale(mountpoint);
  }

  @Override
  public void unmount(Path mountpoint) throws IOException {
    Path mp = mountpoint.toAbsolutePath().normalize();
    Mounted m = mounts.remove(mp);
    if (m != null) {
      IOException failure = null;
      try {
        m.fuse().close();
      } catch (IOException e) {
        failure = e;
      }
      try {
        m.reader().close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
      if (failure != null) {
        throw failure;
      }
    } else if (io.fastpull.fuse.LayerMounter.isStale(mp)) {
      io.fastpull.fuse.LayerMounter.clearStale(mp);
    }
  }

  /** Fetch and cache counters of every mounted layer, summed: bytes fetched from registries. */
  public long bytesFetched() {
    long n = 0;
    for (Mounted m : mounts.values()) {
      n += m.reader().stats().sourceBytes();
    }
    return n;
  }

  /** Unmounts every layer this mounter mounted. */
  public void closeAll() {
    for (Path mp : List.copyOf(mounts.keySet())) {
      try {
        unmount(mp);
      } catch (IOException e) {
        log.error("unmount failed mountpoint={} error={}", mp, e.toString());
      }
    }
  }
}
