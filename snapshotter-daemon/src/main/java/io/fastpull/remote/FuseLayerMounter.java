package io.fastpull.remote;

import io.fastpull.blob.ChunkReader;
import io.fastpull.blob.ChunkSource;
import io.fastpull.blob.FetchDemand;
import io.fastpull.blob.FetchOptions;
import io.fastpull.cache.ChunkCache;
import io.fastpull.format.BlobFooter;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.fuse.MountOptions;
import io.fastpull.fuse.MountedLayer;
import io.fastpull.profile.ProfileResolver;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import io.fastpull.snapshot.LayerMounter;
import io.fastpull.snapshot.RemoteLayerPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts lazy layers with fuse-fs, reading chunks from the registry through the node's shared
 * chunk cache. Declines every layer that is not a fastpull lazy blob, so containerd unpacks those
 * the ordinary way.
 *
 * <p>A mounted layer's metadata is kept under {@code <state>/meta/} (digest-checked again when
 * read), so that a restarted daemon remounts without fetching it again.
 *
 * <p>Right after mounting, the layer is warmed without delaying the mount: when the labels name
 * the image (containerd's CRI labels {@code cri.image-ref} and {@code cri.manifest-digest}), its
 * startup profile is looked up in the background and the chunks it lists for this layer are
 * prefetched in that order; without a profile (or when the lookup fails) the blob's own prefetch
 * table is. Then, when background fill is on and the layer takes at most half the cache, all its
 * chunks are filled at the lowest priority. Thread-safe.
 */
public final class FuseLayerMounter implements LayerMounter, LazyLayers {
  private static final Logger log = LoggerFactory.getLogger(FuseLayerMounter.class);

  private final RegistryClient client;
  private final LazyLayerResolver resolver;
  private final ChunkCache cache;
  private final FetchOptions fetchOptions;
  private final MountOptions mountOptions;
  private final Executor executor;
  private final Clock clock;
  private final Path metaDir;
  private final ProfileResolver profiles;
  private final boolean backgroundFill;
  /** Shared by every layer's reader: a fill of one layer steps aside while any read waits. */
  private final FetchDemand demand;
  private final AtomicLong mountCount = new AtomicLong();
  private final Map<Path, Mounted> mounts = new ConcurrentHashMap<>();

  /** One mount; {@code seq} orders mounts for reports. */
  private record Mounted(long seq, String snapshotKey, LazyLayerRef ref, Path mountpoint,
      MountedLayer fuse, ChunkReader reader, long storedBytes, int chunkCount,
      LayerPrefetch prefetch) {}

  /** A mounter without background fill (profile or table prefetch only). */
  public FuseLayerMounter(RegistryClient client, ChunkCache cache, FetchOptions fetchOptions,
      MountOptions mountOptions, Executor executor, Clock clock, Path stateDir) throws IOException {
    this(client, cache, fetchOptions, mountOptions, executor, clock, stateDir, false);
  }

  /**
   * @param stateDir where layer metadata is kept between restarts (created if missing)
   * @param executor runs registry requests for chunk fetches and profile lookups; the caller owns
   *     it
   * @param backgroundFill whether mounted layers that fit in half the cache are filled whole in
   *     the background
   */
  public FuseLayerMounter(RegistryClient client, ChunkCache cache, FetchOptions fetchOptions,
      MountOptions mountOptions, Executor executor, Clock clock, Path stateDir,
      boolean backgroundFill) throws IOException {
    this.client = client;
    this.resolver = new LazyLayerResolver(client);
    this.cache = cache;
    this.fetchOptions = fetchOptions;
    this.mountOptions = mountOptions;
    this.executor = executor;
    this.clock = clock;
    this.metaDir = Files.createDirectories(stateDir.resolve("meta"));
    this.profiles = new ProfileResolver(client, executor, clock, ProfileResolver.DEFAULT_TTL,
        ProfileResolver.DEFAULT_MAX_ENTRIES);
    this.backgroundFill = backgroundFill;
    this.demand = new FetchDemand(clock);
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
        executor, clock, demand);
    MountedLayer fuse;
    try {
      fuse = io.fastpull.fuse.LayerMounter.mount(mountpoint, meta, reader, mountOptions);
    } catch (IOException | RuntimeException e) {
      reader.close();
      throw e;
    }
    Path mp = mountpoint.toAbsolutePath().normalize();
    LayerPrefetch prefetch = new LayerPrefetch(snapshotKey, ref.blob().toString(), meta, reader,
        backgroundFill, cache.stats().capacityBytes());
    mounts.put(mp, new Mounted(mountCount.incrementAndGet(), snapshotKey, ref, mp, fuse, reader,
        storedBytes(meta), meta.chunkCount(), prefetch));
    log.info("lazy layer mounted key={} blob={} repo={} inodes={} chunks={}",
        snapshotKey, ref.blob(), repository(ref), meta.inodeCount(), meta.chunkCount());
    Optional<ImageReference> image = profileImage(labels);
    if (image.isPresent()) {
      profiles.lookup(image.get(), image.get().digest()).thenAccept(prefetch::apply);
    } else {
      prefetch.apply(Optional.empty());
    }
    return Optional.of(new io.fastpull.snapshot.MountedLayer(mountpoint,
        LazyLayerResolver.labelsFor(ref)));
  }

  /**
   * The image whose startup profile applies, with its manifest digest: from containerd's CRI
   * labels (which {@code fastpull pull} sets too). Empty when they are missing or malformed.
   */
  private static Optional<ImageReference> profileImage(Map<String, String> labels) {
    String imageRef = labels.get(RemoteLayerPolicy.IMAGE_REF_LABEL);
    String manifest = labels.get(RemoteLayerPolicy.MANIFEST_DIGEST_LABEL);
    if (imageRef == null || manifest == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(ImageReference.parse(imageRef).withDigest(Digest.parse(manifest)));
    } catch (IllegalArgumentException e) {
      log.debug("no profile lookup, bad image labels ref={} manifest={}", imageRef, manifest);
      return Optional.empty();
    }
  }

  private static String repository(LazyLayerRef ref) {
    return ref.repo().registry() + "/" + ref.repo().repository();
  }

  /** Stored chunk bytes: the data region before the metadata, else the chunks' sizes summed. */
  private static long storedBytes(LayerMeta meta) {
    if (meta.chunkDataSize() > 0) {
      return meta.chunkDataSize();
    }
    long n = 0;
    for (int i = 0; i < meta.chunkCount(); i++) {
      n += meta.chunk(i).compressedSize();
    }
    return n;
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

  @Override
  public List<LayerStatus> layers() {
    List<LayerStatus> out = new ArrayList<>();
    for (Mounted m : inMountOrder()) {
      LayerPrefetch.Queued q = m.prefetch().queued();
      out.add(new LayerStatus(m.ref().blob(), m.snapshotKey(), m.mountpoint(),
          repository(m.ref()), m.storedBytes(), m.chunkCount(), m.reader().stats(), q.chunks(),
          q.source()));
    }
    return out;
  }

  @Override
  public Optional<int[]> trace(Digest blob) {
    Set<Integer> joined = null;
    for (Mounted m : inMountOrder()) {
      if (m.ref().blob().equals(blob)) {
        if (joined == null) {
          joined = new LinkedHashSet<>();
        }
        for (int c : m.reader().trace()) {
          joined.add(c);
        }
      }
    }
    return Optional.ofNullable(joined)
        .map(s -> s.stream().mapToInt(Integer::intValue).toArray());
  }

  @Override
  public boolean resetTrace(Digest blob) {
    boolean found = false;
    for (Mounted m : mounts.values()) {
      if (m.ref().blob().equals(blob)) {
        m.reader().resetTrace();
        found = true;
      }
    }
    return found;
  }

  private List<Mounted> inMountOrder() {
    List<Mounted> all = new ArrayList<>(mounts.values());
    all.sort(Comparator.comparingLong(Mounted::seq));
    return all;
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
