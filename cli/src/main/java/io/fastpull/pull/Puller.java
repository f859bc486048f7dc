package io.fastpull.pull;

import com.google.protobuf.FieldMask;
import io.fastpull.progress.Progress;
import io.fastpull.proto.containerd.images.v1.CreateImageRequest;
import io.fastpull.proto.containerd.images.v1.Image;
import io.fastpull.proto.containerd.images.v1.UpdateImageRequest;
import io.fastpull.proto.containerd.leases.v1.CreateRequest;
import io.fastpull.proto.containerd.leases.v1.DeleteRequest;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Index;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.ManifestContent;
import io.fastpull.registry.Platform;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.RegistryException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls an image into containerd lazily, over containerd's gRPC API: resolves it in the registry,
 * stores index, manifest and config in containerd's content store (with the GC references
 * containerd's own pull writes), unpacks every layer into the chosen snapshotter (fastpull mounts
 * lazy layers remotely; other layers are downloaded and applied with containerd's diff service)
 * and creates or updates the image record. Everything is created under a lease that is deleted
 * at the end, so a failed pull leaves nothing containerd keeps.
 *
 * <p>Lifecycle: {@link #open}, any number of {@link #pull} calls (one at a time: not
 * thread-safe), {@link #close()} (idempotent; does not close the registry client).
 */
public final class Puller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Puller.class);
  private static final int MAX_CONFIG_BYTES = 32 << 20;

  /**
   * @param address containerd's gRPC socket
   * @param namespace containerd namespace ({@code default}; {@code k8s.io} for Kubernetes)
   * @param snapshotter the snapshotter to unpack into
   * @param platform the platform picked from an index
   * @param leaseExpiry how long containerd keeps the pull's lease if the pull dies midway
   */
  public record Options(Path address, String namespace, String snapshotter, Platform platform,
      Duration leaseExpiry) {
    public static final Path DEFAULT_ADDRESS = Path.of("/run/containerd/containerd.sock");

    public Options {
      Objects.requireNonNull(address, "address");
      Objects.requireNonNull(platform, "platform");
      if (namespace == null || namespace.isBlank()) {
        throw new IllegalArgumentException("namespace '" + namespace + "' is empty");
      }
      if (snapshotter == null || snapshotter.isBlank()) {
        throw new IllegalArgumentException("snapshotter '" + snapshotter + "' is empty");
      }
      if (leaseExpiry == null || leaseExpiry.isNegative() || leaseExpiry.isZero()) {
        throw new IllegalArgumentException("lease expiry " + leaseExpiry + " must be positive");
      }
    }

    /** containerd's default socket, namespace {@code default}, fastpull, this machine's platform. */
    public static Options defaults() {
      return new Options(DEFAULT_ADDRESS, "default", "fastpull", Platform.current(),
          Duration.ofHours(1));
    }

    public Options withAddress(Path a) {
      return new Options(a, namespace, snapshotter, platform, leaseExpiry);
    }

    public Options withNamespace(String n) {
      return new Options(address, n, snapshotter, platform, leaseExpiry);
    }

    public Options withSnapshotter(String s) {
      return new Options(address, namespace, s, platform, leaseExpiry);
    }

    public Options withPlatform(Platform p) {
      return new Options(address, namespace, snapshotter, p, leaseExpiry);
    }
  }

  /**
   * @param name the image record's name ({@code docker.io/library/x:tag} form)
   * @param target the image record's target: the index or manifest the reference named
   * @param manifest the platform's image manifest
   * @param chainId the top snapshot's name
   * @param layers per layer, base first
   * @param elapsed wall time of the whole pull
   */
  public record Result(String name, Descriptor target, Descriptor manifest, String chainId,
      List<LayerResult> layers, Duration elapsed) {
    public Result {
      layers = List.copyOf(layers);
    }

    /** Bytes of layer blobs read from the registry. */
    public long bytesDownloaded() {
      return layers.stream().mapToLong(LayerResult::bytesDownloaded).sum();
    }

    /** Sum of the manifest's layer sizes. */
    public long layerBytes() {
      return layers.stream().mapToLong(l -> l.layer().size()).sum();
    }

    public long count(LayerResult.Outcome outcome) {
      return layers.stream().filter(l -> l.outcome() == outcome).count();
    }
  }

  private final RegistryClient registry;
  private final Options options;
  private final Progress<LayerResult> progress;
  private final Clock clock;
  private final BackgroundConnection connection;
  /** Set by the first pull once the connection is made. */
  private ContainerdConnection containerd;
  private ContentStore content;

  private Puller(RegistryClient registry, Options options, Progress<LayerResult> progress, Clock clock,
      BackgroundConnection connection) {
    this.registry = registry;
    this.options = options;
    this.progress = progress;
    this.clock = clock;
    this.connection = connection;
  }

  /**
   * Starts connecting to containerd in the background (the registry client stays the caller's).
   *
   * @throws PullException CONTAINERD_UNAVAILABLE when the socket does not exist
   */
  public static Puller open(RegistryClient registry, Options options, Progress<LayerResult> progress,
      Clock clock) throws PullException {
    return new Puller(registry, options, progress, clock,
        BackgroundConnection.start(options.address(), options.namespace()));
  }

  /**
   * Pulls {@code reference} (Docker's defaults apply: {@code busybox} is
   * {@code docker.io/library/busybox:latest}).
   *
   * @throws PullException for a bad reference, a missing image, or a refusing containerd
   * @throws IOException for other registry or I/O failures
   */
  public Result pull(String reference) throws IOException {
    long start = clock.millis();
    ImageReference ref;
    try {
      ref = ImageReference.parse(reference);
    } catch (IllegalArgumentException e) {
      throw new PullException(PullException.Kind.INVALID_ARGUMENT, e.getMessage(), e);
    }
    String name = ref.toString();
    // containerd's part of the pull needs nothing from the registry until the content is stored:
    // its lease is made meanwhile, on the connection's thread.
    CompletableFuture<String> leasing = connection.submit(this::createLease);
    Resolved resolved;
    try {
      resolved = resolve(ref, name);
    } catch (IOException | RuntimeException e) {
      dropLease(leasing);
      throw e;
    }
    containerd = connection.await();
    if (content == null) {
      content = new ContentStore(containerd);
    }
    String lease = BackgroundConnection.await(leasing);
    containerd.useLease(Optional.of(lease));
    try {
      return storeAndUnpack(ref, name, resolved, start);
    } finally {
      deleteLease(containerd, lease);
    }
  }

  /** What the registry says about an image: its top manifest, the platform's one and config. */
  private record Resolved(ManifestContent top, ManifestContent image, byte[] config,
      List<String> diffIds) {}

  private Resolved resolve(ImageReference ref, String name) throws IOException {
    ManifestContent top = registry(() -> registry.fetchManifest(ref), name);
    ManifestContent mc = top;
    if (top.isIndex()) {
      Index index = top.index();
      Descriptor chosen = index.select(options.platform()).orElseThrow(() -> new PullException(
          PullException.Kind.IMAGE_NOT_FOUND, name + " has no image for " + options.platform()
              + " (it has " + index.manifests().stream().map(d -> String.valueOf(d.platform()))
              .toList() + "); pick one with --platform"));
      mc = registry(() -> registry.fetchManifest(ref.withDigest(chosen.digest())), name);
    }
    Manifest manifest = mc.manifest();
    byte[] config = registry(() -> registry.readBlob(ref, manifest.config().digest(),
        MAX_CONFIG_BYTES), name);
    List<String> diffIds = ChainIds.diffIds(config);
    List<Descriptor> layers = manifest.layers();
    if (diffIds.size() != layers.size()) {
      throw new PullException(PullException.Kind.BAD_IMAGE, name + ": the manifest lists "
          + layers.size() + " layers but the config " + diffIds.size() + " diff_ids");
    }
    if (layers.isEmpty()) {
      throw new PullException(PullException.Kind.BAD_IMAGE, name + " has no layers");
    }
    progress.planned("pulling " + name + " " + mc.descriptor().digest(), layers.size(),
        layers.stream().mapToLong(Descriptor::size).sum());
    return new Resolved(top, mc, config, diffIds);
  }

  /** Stores the image's content and snapshots in containerd, under the current lease. */
  private Result storeAndUnpack(ImageReference ref, String name, Resolved resolved, long start)
      throws IOException {
    ManifestContent top = resolved.top();
    ManifestContent mc = resolved.image();
    Manifest manifest = mc.manifest();
    byte[] config = resolved.config();
    List<String> diffIds = resolved.diffIds();
    List<Descriptor> layers = manifest.layers();
    List<Descriptor> indexManifests = top.isIndex() ? top.index().manifests() : List.of();
    List<String> chain = ChainIds.of(diffIds);
    String topChain = chain.get(chain.size() - 1);
    Map<String, String> source = Labels.source(ref);
    store(manifest.config(), config, merge(source,
        Labels.config(options.snapshotter(), topChain)));
    store(mc.descriptor(), mc.bytes(), merge(source,
        Labels.manifest(manifest.config(), layers)));
    if (top.isIndex()) {
      store(top.descriptor(), top.bytes(), merge(source, Labels.index(indexManifests)));
    }
    LayerUnpacker unpacker = new LayerUnpacker(containerd, content, registry,
        options.snapshotter(), progress, clock);
    List<LayerResult> results = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      results.add(unpacker.unpack(ref, i, layers.get(i), diffIds.get(i), chain.get(i),
          i == 0 ? "" : chain.get(i - 1),
          Labels.snapshot(chain.get(i), name, ref, mc.descriptor(), layers, i)));
    }
    progress.step("writing image record " + name);
    putImage(name, top.descriptor());
    Result r = new Result(name, top.descriptor(), mc.descriptor(), topChain, results,
        Duration.ofMillis(clock.millis() - start));
    log.debug("pulled image={} layers={} downloaded={}", name, layers.size(),
        r.bytesDownloaded());
    return r;
  }

  /** Runs on the connection's thread; does not touch this puller's state. */
  private String createLease(ContainerdConnection c) throws PullException {
    String id = "fastpull-pull-" + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(),
        36);
    String expire = clock.instant().plus(options.leaseExpiry()).truncatedTo(ChronoUnit.SECONDS)
        .toString();
    try {
      c.leases().create(CreateRequest.newBuilder().setId(id)
          .putLabels(Labels.GC_EXPIRE, expire).build());
    } catch (StatusRuntimeException e) {
      throw c.failure("creating lease", e);
    }
    return id;
  }

  /**
   * After a failed resolve: deletes the lease once it exists. A failure to make it is not
   * reported (the resolve failure is the one the caller sees).
   */
  private void dropLease(CompletableFuture<String> leasing) {
    try {
      String id = BackgroundConnection.await(leasing);
      deleteLease(connection.await(), id);
    } catch (IOException | RuntimeException e) {
      log.debug("no lease to drop after a failed resolve: {}", e.toString());
    }
  }

  private void deleteLease(ContainerdConnection c, String id) {
    c.useLease(Optional.empty());
    try {
      c.leases().delete(DeleteRequest.newBuilder().setId(id).build());
    } catch (StatusRuntimeException e) {
      // It expires on its own (gc.expire); nothing is lost but disk until then.
      log.warn("deleting lease failed lease={} error={}", id, e.getStatus());
    }
  }

  private void store(Descriptor d, byte[] bytes, Map<String, String> labels)
      throws IOException {
    content.ensure(d.digest(), d.size(), labels, () -> new ByteArrayInputStream(bytes), n -> {});
  }

  private void putImage(String name, Descriptor target) throws PullException {
    Image image = Image.newBuilder().setName(name)
        .setTarget(io.fastpull.proto.containerd.types.Descriptor.newBuilder()
            .setMediaType(target.mediaType()).setDigest(target.digest().toString())
            .setSize(target.size()))
        .build();
    try {
      containerd.images().create(CreateImageRequest.newBuilder().setImage(image).build());
    } catch (StatusRuntimeException e) {
      if (!ContainerdConnection.is(e, Status.Code.ALREADY_EXISTS)) {
        throw containerd.failure("creating image " + name, e);
      }
      try {
        containerd.images().update(UpdateImageRequest.newBuilder().setImage(image)
            .setUpdateMask(FieldMask.newBuilder().addPaths("target")).build());
      } catch (StatusRuntimeException u) {
        throw containerd.failure("updating image " + name, u);
      }
    }
  }

  private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
    Map<String, String> m = new HashMap<>(a);
    m.putAll(b);
    return m;
  }

  private interface RegistryCall<T> {
    T call() throws IOException;
  }

  private static <T> T registry(RegistryCall<T> call, String name) throws IOException {
    try {
      return call.call();
    } catch (RegistryException e) {
      if (e.kind() == RegistryException.Kind.NOT_FOUND) {
        throw new PullException(PullException.Kind.IMAGE_NOT_FOUND, "image " + name
            + " not found: " + e.getMessage(), e);
      }
      throw new PullException(PullException.Kind.REGISTRY, e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    connection.close();
  }
}
