package io.fastpull.format;

import com.github.luben.zstd.Zstd;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Converts one OCI layer tar (plain, gzip or zstd) into a lazy blob in a single streaming pass.
 *
 * <p>Heap use is bounded by the chunk pipeline (about {@code 4 * threads + 2} chunk buffers) plus
 * the metadata, which grows with the number of files, never with their size: a 20 GiB layer or
 * one 8 GiB file converts in the same few MiB per chunk in flight.
 *
 * <p>Output is deterministic: equal input and options give byte-equal blobs. One writer converts
 * one layer at a time; separate instances may run concurrently.
 */
public final class LayerWriter {

  /**
   * Conversion settings.
   *
   * @param chunkSize bytes per chunk: a power of two from 4 KiB to 16 MiB (default 1 MiB)
   * @param level zstd compression level for chunks (default 3)
   * @param threads compression threads (default: available processors)
   * @param batchThreshold files smaller than this are packed together into shared chunks (default
   *     min(64 KiB, chunkSize / 2)); 0 packs nothing
   * @param prefetchPaths files whose chunks form the prefetch table, in this order
   */
  public record Options(
      int chunkSize, int level, int threads, int batchThreshold, List<String> prefetchPaths) {
    public static final int DEFAULT_CHUNK_SIZE = 1 << 20;

    public Options {
      if (Integer.bitCount(chunkSize) != 1
          || chunkSize < (1 << Layout.MIN_CHUNK_LOG2) || chunkSize > (1 << Layout.MAX_CHUNK_LOG2)) {
        throw new IllegalArgumentException(
            "chunk size must be a power of two from 4096 to 16777216, got " + chunkSize);
      }
      if (level < 1 || level > 22) {
        throw new IllegalArgumentException("zstd level must be 1..22, got " + level);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be >= 1, got " + threads);
      }
      if (batchThreshold < 0 || batchThreshold > chunkSize) {
        throw new IllegalArgumentException("batch threshold must be 0.." + chunkSize + ", got "
            + batchThreshold);
      }
      prefetchPaths = List.copyOf(prefetchPaths);
    }

    public static Options defaults() {
      return withChunkSize(DEFAULT_CHUNK_SIZE);
    }

    public static Options withChunkSize(int chunkSize) {
      return new Options(chunkSize, 3, Runtime.getRuntime().availableProcessors(),
          Math.min(64 << 10, chunkSize / 2), List.of());
    }

    public Options withThreads(int n) {
      return new Options(chunkSize, level, n, batchThreshold, prefetchPaths);
    }

    public Options withLevel(int l) {
      return new Options(chunkSize, l, threads, batchThreshold, prefetchPaths);
    }

    public Options withPrefetch(List<String> paths) {
      return new Options(chunkSize, level, threads, batchThreshold, paths);
    }

    public Options withBatchThreshold(int t) {
      return new Options(chunkSize, level, threads, t, prefetchPaths);
    }
  }

  /**
   * What a conversion produced.
   *
   * @param blobDigest {@code sha256:...} of the whole blob (its registry address)
   * @param blobSize bytes written
   * @param diffId {@code sha256:...} of the uncompressed source tar (the layer's diff_id)
   * @param footer the blob's footer (metadata location and digest, for manifest annotations)
   * @param entries tar entries read
   * @param inodes inodes in the metadata
   * @param chunks distinct chunks stored
   * @param dedupedChunks chunks not stored again because an identical one was
   * @param fileBytes bytes of file content read from the tar
   * @param chunkBytes bytes of (compressed) chunk data written
   */
  public record Result(
      String blobDigest, long blobSize, String diffId, BlobFooter footer, long entries, int inodes,
      int chunks, long dedupedChunks, long fileBytes, long chunkBytes) {}

  private final Options options;
  private final ExecutorService executor;
  private final boolean ownsExecutor;

  /** A writer with its own compression threads, stopped after each {@link #write}. */
  public LayerWriter(Options options) {
    this(options, null);
  }

  /**
   * A writer compressing on {@code executor} (shared by callers converting several layers);
   * the caller keeps ownership of it.
   */
  public LayerWriter(Options options, ExecutorService executor) {
    this.options = Objects.requireNonNull(options, "options");
    this.ownsExecutor = executor == null;
    this.executor = executor;
  }

  /**
   * Reads a whole layer from {@code layer} and writes the lazy blob to {@code out}. Neither
   * stream is closed. On failure {@code out} holds a partial blob: write to a temporary file and
   * rename it only after success.
   *
   * @throws LayerInputException if the tar holds something a layer may not (the message names it)
   * @throws IOException if reading or writing fails, or the tar is malformed
   */
  public Result write(InputStream layer, OutputStream out) throws IOException {
    ExecutorService pool = executor != null ? executor : newPool(options.threads());
    Counting blob = new Counting(out);
    ChunkPipeline pipeline = new ChunkPipeline(blob, pool, options.chunkSize(), options.level(),
        options.threads());
    try {
      MessageDigest diff = Digests.sha256();
      InputStream tarStream = new HashingInputStream(LayerCompression.decompress(layer), diff);
      LayerTree tree = new LayerTree();
      FileChunker chunker = new FileChunker(pipeline, options.chunkSize(), options.batchThreshold());
      long fileBytes = 0;
      TarReader tar = new TarReader(new BufferedInputStream(tarStream, 1 << 16));
      Optional<TarHeader> h;
      while ((h = tar.next()).isPresent()) {
        tree.apply(h.get(), tar.content(), chunker);
        fileBytes += h.get().size();
      }
      // The diff_id covers the tar's trailing blocks and padding too.
      tarStream.transferTo(OutputStream.nullOutputStream());
      chunker.flush();
      pipeline.finish();
      int[] prefetch = prefetchChunks(tree, options.prefetchPaths());
      MetadataEncoder.Encoded meta = MetadataEncoder.encode(tree.root(), pipeline.chunks(),
          Integer.numberOfTrailingZeros(options.chunkSize()), prefetch, pipeline.written());
      byte[] stored = Zstd.compress(meta.bytes(), 9);
      MessageDigest md = Digests.sha256();
      byte[] metaDigest = md.digest(stored);
      BlobFooter footer = new BlobFooter(Layout.VERSION, Layout.FOOTER_FLAG_META_ZSTD,
          blob.count, stored.length, meta.bytes().length, metaDigest);
      blob.write(stored);
      blob.write(footer.encode());
      blob.flush();
      return new Result("sha256:" + HexFormat.of().formatHex(blob.digest.digest()), blob.count,
          "sha256:" + HexFormat.of().formatHex(diff.digest()), footer, tree.entries(),
          meta.inodes(), pipeline.chunks().size(), pipeline.dedupedChunks(), fileBytes,
          pipeline.written());
    } finally {
      pipeline.close();
      if (ownsExecutor) {
        pool.shutdownNow();
      }
    }
  }

  private static int[] prefetchChunks(LayerTree tree, List<String> paths)
      throws LayerInputException {
    Set<Integer> order = new LinkedHashSet<>();
    for (String p : paths) {
      Node n = tree.find(LayerTree.components(p));
      if (n == null) {
        throw new LayerInputException(p, "prefetch path is not in the layer");
      }
      for (FileRef r : n.refs) {
        order.add(r.chunk().index());
      }
    }
    List<Integer> list = new ArrayList<>(order);
    return list.stream().mapToInt(Integer::intValue).toArray();
  }

  private static ExecutorService newPool(int threads) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "fastpull-compress-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Counts and hashes what goes to the blob. */
  private static final class Counting extends FilterOutputStream {
    final MessageDigest digest = Digests.sha256();
    long count;

    Counting(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      digest.update((byte) b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      digest.update(b, off, len);
      count += len;
    }
  }
}
