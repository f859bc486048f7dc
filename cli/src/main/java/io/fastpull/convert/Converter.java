package io.fastpull.convert;

import io.fastpull.format.LayerWriter;
import io.fastpull.format.LazyLayer;
import io.fastpull.progress.Progress;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Index;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.Platform;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.RegistryException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Converts an image into a fastpull lazy image in a registry.
 *
 * <p><b>What is published.</b> For each image manifest of the source (every platform of an index
 * but {@code unknown/unknown} attestations, or the one {@link Options#platform}): the original
 * config, unchanged (mounted or copied into the target repository), and one lazy blob per layer,
 * described by a layer of media type {@link LazyLayer#MEDIA_TYPE} with {@link
 * LazyLayer#annotations} (metadata location and digest; the original layer's digest, media type,
 * size and diff_id), in an OCI manifest annotated {@code io.fastpull.image.version: "1"}. An index
 * source gives an OCI index of the lazy manifests; with {@link Options#mergeIndex} the index holds
 * the original entries first (their content copied too) and the lazy ones after them, each with
 * the platform of its original and the version annotation.
 *
 * <p><b>Order and failure.</b> Everything is read and checked before anything is pushed, and the
 * target is asked whether it takes a push (an upload started and cancelled) before any layer is
 * converted; blobs and manifests go up by digest; the tag is the last request. A failure leaves
 * at most unreferenced blobs and untagged manifests, never a tag on a partial image. Lazy blobs
 * wait for their upload in a {@link WorkDir} of this run, removed however the run ends.
 *
 * <p><b>Determinism.</b> Equal source and options give byte-equal blobs, manifests and indexes.
 *
 * <p><b>Concurrency.</b> Layers convert in parallel: {@link Options#jobs} layer jobs (clamped so
 * their chunk buffers fit in a quarter of the heap) share one pool of {@link Options#threads}
 * compression threads. A layer shared by several platforms converts once. One {@code convert}
 * call at a time per instance; the registry client is not closed here.
 */
public final class Converter {
  private static final Logger LOG = LoggerFactory.getLogger(Converter.class);
  /** The value of {@link LazyLayer#IMAGE_VERSION} this converter writes. */
  public static final String FORMAT_VERSION = "1";

  /**
   * How to convert.
   *
   * @param chunkSize bytes per chunk (power of two, 4 KiB to 16 MiB)
   * @param level zstd level, 1..22
   * @param platform the one platform to convert; empty converts all
   * @param mergeIndex publish one index with the original and the lazy manifests
   * @param workDir where each conversion makes its own work directory for lazy blobs waiting for
   *     their upload (created if missing; see {@link WorkDir})
   * @param jobs layers converted at once, at least 1
   * @param threads compression threads shared by the jobs, at least 1
   */
  public record Options(int chunkSize, int level, Optional<Platform> platform, boolean mergeIndex,
      Path workDir, int jobs, int threads) {
    public Options {
      new LayerWriter.Options(chunkSize, level, Math.max(threads, 1), 0, List.of());
      Objects.requireNonNull(platform, "platform");
      Objects.requireNonNull(workDir, "workDir");
      if (jobs < 1 || threads < 1) {
        throw new IllegalArgumentException("jobs and threads must be >= 1, got jobs=" + jobs
            + " threads=" + threads);
      }
    }

    /** 1 MiB chunks, level 3, all platforms, no merge, one job per core up to 4. */
    public static Options defaults(Path workDir) {
      int cores = Runtime.getRuntime().availableProcessors();
      return new Options(LayerWriter.Options.DEFAULT_CHUNK_SIZE, 3, Optional.empty(), false,
          workDir, Math.min(cores, 4), cores);
    }
  }

  /**
   * One converted image manifest.
   *
   * @param platform its platform (from the index entry or the config), or null if unknown
   * @param source the original manifest
   * @param converted the lazy manifest
   * @param layers per-layer results, in manifest order
   */
  public record ImageResult(Platform platform, Digest source, Digest converted,
      List<LayerStats> layers) {
    public ImageResult {
      layers = List.copyOf(layers);
    }
  }

  /**
   * What was published.
   *
   * @param target the tag written
   * @param digest the digest the tag points to
   * @param mediaType a manifest or index media type
   * @param images the converted manifests
   * @param elapsed the whole conversion
   */
  public record Result(ImageReference target, Digest digest, String mediaType,
      List<ImageResult> images, Duration elapsed) {
    public Result {
      images = List.copyOf(images);
    }
  }

  private final RegistryClient client;
  private final Options options;
  private final Progress<LayerStats> progress;
  private final Clock clock;

  public Converter(RegistryClient client, Options options, Progress<LayerStats> progress,
      Clock clock) {
    this.client = Objects.requireNonNull(client, "client");
    this.options = Objects.requireNonNull(options, "options");
    this.progress = Objects.requireNonNull(progress, "progress");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Converts {@code source} ({@code REF}, {@code docker://REF}, {@code oci:DIR[:TAG]} or {@code
   * docker-archive:FILE}) and tags the result as {@code target} (a registry reference; without a
   * tag it is {@code :latest}, and a {@link Progress#step} says so).
   *
   * @throws ConvertException when the image cannot be converted (see its kind)
   * @throws IOException when reading, writing or the registry fails
   */
  public Result convert(String source, String target) throws IOException {
    ImageReference to = parseReference(target, "target");
    if (to.digest() != null) {
      throw new ConvertException(ConvertException.Kind.BAD_REFERENCE, "target " + target
          + " names a digest; give a tag (the digest of the result is computed)");
    }
    if (!target.strip().endsWith(":" + to.tag())) {
      // As docker and containerd do; said, since a push to :latest may replace a real image.
      progress.step("note: target " + target.strip() + " has no tag; tagging " + to);
    }
    try (ImageSource src = ImageSource.open(source, client)) {
      return convert(src, to);
    }
  }

  private Result convert(ImageSource src, ImageReference to) throws IOException {
    Instant start = clock.instant();
    Planner.Plan plan = Planner.plan(src, options.platform());
    checkPush(to);
    LOG.info("converting source={} target={} manifests={}", src.describe(), to,
        plan.images().size());
    Map<Digest, LayerStats> stats = convertLayers(src, to, plan);
    Publisher pub = new Publisher(client, src, to);

    List<ImageResult> results = new ArrayList<>();
    List<Descriptor> lazyEntries = new ArrayList<>();
    byte[] lastManifest = null;
    for (Planner.Image image : plan.images()) {
      List<Descriptor> layers = new ArrayList<>();
      List<LayerStats> layerStats = new ArrayList<>();
      for (int i = 0; i < image.manifest().layers().size(); i++) {
        Descriptor l = image.manifest().layers().get(i);
        LayerStats s = stats.get(l.digest());
        if (!s.diffId().equals(image.diffIds().get(i))) {
          throw new ConvertException(ConvertException.Kind.DIGEST_MISMATCH, "layer " + (i + 1)
              + " " + l.digest() + " of manifest " + image.content().digest() + " in "
              + src.describe() + " unpacks to diff_id " + s.diffId() + " but its config says "
              + image.diffIds().get(i));
        }
        layerStats.add(s);
        layers.add(new Descriptor(LazyLayer.MEDIA_TYPE, s.blob(), s.blobSize(),
            LazyLayer.annotations(s.footer(), l.digest().toString(), l.mediaType(), l.size(),
                s.diffId()), null, null));
      }
      progress.step("pushing config " + image.manifest().config().digest());
      pub.copyBlob(image.manifest().config());
      Map<String, String> annotations = new TreeMap<>(image.manifest().annotations());
      annotations.put(LazyLayer.IMAGE_VERSION, FORMAT_VERSION);
      Manifest lazy = new Manifest(2, MediaTypes.OCI_MANIFEST, null, image.manifest().config(),
          layers, null, annotations);
      byte[] json = ImageJson.write(lazy);
      Digest d = pub.push(MediaTypes.OCI_MANIFEST, json);
      progress.step("pushed manifest " + d + (image.platform() == null ? ""
          : " for " + image.platform()));
      lazyEntries.add(new Descriptor(MediaTypes.OCI_MANIFEST, d, json.length,
          Map.of(LazyLayer.IMAGE_VERSION, FORMAT_VERSION), image.platform(), null));
      results.add(new ImageResult(image.platform(), image.content().digest(), d, layerStats));
      lastManifest = json;
    }

    String topType;
    byte[] top;
    if (plan.index().isEmpty() && !options.mergeIndex()) {
      topType = MediaTypes.OCI_MANIFEST;
      top = lastManifest;
    } else {
      List<Descriptor> entries = new ArrayList<>();
      Map<String, String> annotations = new TreeMap<>();
      if (options.mergeIndex()) {
        entries.addAll(originals(src, plan, pub));
      }
      plan.index().ifPresent(i -> annotations.putAll(i.annotations()));
      entries.addAll(lazyEntries);
      topType = MediaTypes.OCI_INDEX;
      top = ImageJson.write(new Index(2, MediaTypes.OCI_INDEX, entries, annotations));
      Digest d = pub.push(topType, top);
      progress.step("pushed index " + d);
    }
    // Everything the tag points to is in place: the tag goes last.
    pub.tag(topType, top);
    Digest digest = Digest.sha256(top);
    progress.step("tagged " + to + " -> " + digest);
    LOG.info("converted source={} target={} digest={}", src.describe(), to, digest);
    return new Result(to, digest, topType, results, Duration.between(start, clock.instant()));
  }

  /**
   * Fails now, before any layer is converted, if the target will not take the push (credentials,
   * permissions, host, TLS or plain HTTP), rather than after minutes of converting.
   */
  private void checkPush(ImageReference to) throws IOException {
    try {
      client.checkPush(to);
    } catch (RegistryException e) {
      throw new ConvertException(ConvertException.Kind.TARGET_NOT_WRITABLE, "cannot push to "
          + "target " + to + " (checked before converting): " + e.getMessage(), e);
    }
  }

  /** The original manifests, copied to the target, as index entries. */
  private List<Descriptor> originals(ImageSource src, Planner.Plan plan, Publisher pub)
      throws IOException {
    if (plan.index().isEmpty()) {
      Planner.Image only = plan.images().get(0);
      progress.step("copying original manifest " + only.content().digest());
      pub.copyManifest(only.content());
      return List.of(only.entry());
    }
    List<Descriptor> entries = new ArrayList<>();
    for (Descriptor e : plan.index().get().manifests()) {
      progress.step("copying original manifest " + e.digest());
      pub.copyManifest(src.manifest(e));
      entries.add(e);
    }
    return entries;
  }

  /** Converts every distinct layer of the plan, in parallel; keyed by source digest. */
  private Map<Digest, LayerStats> convertLayers(ImageSource src, ImageReference to,
      Planner.Plan plan) throws IOException {
    Map<Digest, Descriptor> layers = new LinkedHashMap<>();
    Map<Digest, String> where = new LinkedHashMap<>();
    for (Planner.Image image : plan.images()) {
      for (Descriptor l : image.manifest().layers()) {
        layers.putIfAbsent(l.digest(), l);
        where.putIfAbsent(l.digest(), "manifest " + image.content().digest() + " in "
            + src.describe());
      }
    }
    int jobs = Math.min(Math.min(options.jobs(), layers.size()), jobsForMemory());
    progress.planned("converting " + src.describe() + " -> " + to, layers.size(),
        layers.values().stream().mapToLong(Descriptor::size).sum());
    // The work dir outlives the pools: it is removed only once no job writes into it.
    try (WorkDir work = WorkDir.open(options.workDir())) {
      ExecutorService compress = Executors.newFixedThreadPool(options.threads(),
          daemon("convert-zstd"));
      ExecutorService pool = Executors.newFixedThreadPool(Math.max(jobs, 1),
          daemon("convert-layer"));
      try {
        LayerWriter writer = new LayerWriter(LayerWriter.Options.withChunkSize(
            options.chunkSize()).withLevel(options.level()).withThreads(options.threads()),
            compress);
        LayerJob job = new LayerJob(src, client, to, work.path(), writer, progress, clock);
        // Completion order, so the first failure stops the rest at once.
        CompletionService<LayerStats> done = new ExecutorCompletionService<>(pool);
        for (Descriptor l : layers.values()) {
          done.submit(() -> job.run(l, where.get(l.digest())));
        }
        Map<Digest, LayerStats> out = new LinkedHashMap<>();
        for (int i = 0; i < layers.size(); i++) {
          LayerStats s = await(take(done));
          out.put(s.source(), s);
        }
        return out;
      } finally {
        pool.shutdownNow();
        compress.shutdownNow();
        awaitQuietly(pool);
        awaitQuietly(compress);
      }
    }
  }

  /** Layer jobs whose chunk buffers (about 4 per thread, twice for raw and compressed) fit. */
  private int jobsForMemory() {
    long perJob = (4L * options.threads() + 4) * options.chunkSize() * 2;
    long budget = Runtime.getRuntime().maxMemory() / 4;
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, budget / perJob));
  }

  private static Future<LayerStats> take(CompletionService<LayerStats> done)
      throws InterruptedIOException {
    try {
      return done.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while converting layers");
    }
  }

  private static LayerStats await(Future<LayerStats> f) throws IOException {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while converting layers");
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException("layer conversion failed: " + c, c);
    }
  }

  private static void awaitQuietly(ExecutorService pool) {
    try {
      pool.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Parses a registry reference, as a {@link ConvertException} naming the argument. */
  static ImageReference parseReference(String text, String role) throws ConvertException {
    try {
      return ImageReference.parse(text);
    } catch (IllegalArgumentException e) {
      throw new ConvertException(ConvertException.Kind.BAD_REFERENCE, "bad " + role
          + " reference '" + text + "': " + e.getMessage(), e);
    }
  }
}
