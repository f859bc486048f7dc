package io.fastpull.convert;

import io.fastpull.format.LayerInputException;
import io.fastpull.format.LayerWriter;
import io.fastpull.progress.Progress;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongConsumer;

/**
 * Converts one source layer and pushes its lazy blob: streams the source blob into a
 * {@link LayerWriter} while hashing it, writes the blob to a temporary file under the work
 * directory, checks the source digest and size, uploads unless the target has the blob, and
 * deletes the file whatever happens.
 */
final class LayerJob {
  private static final long REPORT_EVERY = 1 << 20;

  private final ImageSource source;
  private final RegistryClient client;
  private final ImageReference target;
  private final Path workDir;
  private final LayerWriter writer;
  private final Progress<LayerStats> progress;
  private final Clock clock;

  LayerJob(ImageSource source, RegistryClient client, ImageReference target, Path workDir,
      LayerWriter writer, Progress<LayerStats> progress, Clock clock) {
    this.source = source;
    this.client = client;
    this.target = target;
    this.workDir = workDir;
    this.writer = writer;
    this.progress = progress;
    this.clock = clock;
  }

  LayerStats run(Descriptor layer, String where) throws IOException {
    progress.layerStarted(layer);
    Instant start = clock.instant();
    Path tmp = Files.createTempFile(workDir, layer.digest().hex().substring(0, 12) + ".", ".rafs");
    try {
      LayerWriter.Result r;
      Hashing source;
      try (InputStream raw = source(layer)) {
        source = new Hashing(raw, layer.digest().newMessageDigest(),
            n -> progress.layerBytes(layer, n, layer.size()));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
          r = writer.write(source, out);
        } catch (LayerInputException e) {
          // The writer names the entry; only here is it known which layer of which image.
          throw new ConvertException(ConvertException.Kind.BAD_IMAGE, "layer " + layer.digest()
              + " of " + where + " cannot be converted: " + e.getMessage(), e);
        }
        // The writer may stop before a compressed stream's trailer: hash all of the blob.
        source.transferTo(OutputStream.nullOutputStream());
      }
      progress.layerBytes(layer, source.count, layer.size());
      if (source.count != layer.size() || !layer.digest().matches(source.md.digest())) {
        throw new ConvertException(ConvertException.Kind.DIGEST_MISMATCH, "layer "
            + layer.digest() + " of " + where + " read as " + source.count + " bytes that do not "
            + "match its descriptor (size " + layer.size() + "); the source is corrupt");
      }
      String diffId = r.diffId();
      Instant converted = clock.instant();
      Digest blob = Digest.parse(r.blobDigest());
      boolean uploaded = !client.blobExists(target, blob);
      if (uploaded) {
        client.pushBlob(target, blob, tmp);
      }
      Instant pushed = clock.instant();
      LayerStats stats = new LayerStats(layer.digest(), layer.mediaType(), layer.size(), blob,
          r.blobSize(), diffId, r.footer(), r.entries(), r.chunks(), r.dedupedChunks(),
          r.fileBytes(), uploaded, Duration.between(start, converted),
          Duration.between(converted, pushed));
      progress.layerDone(layer, stats);
      return stats;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private InputStream source(Descriptor layer) throws IOException {
    return source.openBlob(layer);
  }


  /** Hashes and counts everything read through it, skipped bytes included. */
  private static final class Hashing extends FilterInputStream {
    private final MessageDigest md;
    private final LongConsumer progress;
    private long count;
    private long reported;

    Hashing(InputStream in, MessageDigest md, LongConsumer progress) {
      super(in);
      this.md = md;
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        md.update((byte) b);
        advance(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        md.update(b, off, n);
        advance(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      if (n <= 0) {
        return 0;
      }
      byte[] buf = new byte[(int) Math.min(n, 8192)];
      return Math.max(read(buf, 0, buf.length), 0);
    }

    @Override
    public boolean markSupported() {
      return false;
    }

    private void advance(int n) {
      count += n;
      if (count - reported >= REPORT_EVERY) {
        reported = count;
        progress.accept(count);
      }
    }
  }
}
