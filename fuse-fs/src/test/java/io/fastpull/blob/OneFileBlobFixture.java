package io.fastpull.blob;

import io.fastpull.cache.ChunkCache;
import io.fastpull.format.BlobSource;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * For chunk reader tests: a blob file holding one layer with one incompressible file "big" of
 * {@link #CHUNKS} chunks of {@link #CHUNK} bytes, a fetch pool, and the readers a test opens
 * (closed after each test).
 */
abstract class OneFileBlobFixture {
  static final int CHUNK = 4096;
  static final int CHUNKS = 64;

  @TempDir Path tmp;
  ExecutorService pool;
  Path blobFile;
  byte[] blob;
  LayerMeta meta;
  private byte[] content;
  private final List<ChunkReader> readers = new ArrayList<>();

  @BeforeEach
  void createBlob() throws Exception {
    pool = Executors.newCachedThreadPool();
    content = Layers.bytes(CHUNKS * CHUNK, 42, false);
    byte[] tar = Layers.tar(w -> Layers.file(w, "big", content));
    blob = Layers.blob(tar, LayerWriter.Options.withChunkSize(CHUNK));
    blobFile = Files.write(tmp.resolve("blob"), blob);
    meta = LayerBlob.open(BlobSource.of(blob)).meta();
  }

  @AfterEach
  void closeReaders() throws Exception {
    for (ChunkReader r : readers) {
      r.close();
    }
    pool.shutdownNow();
  }

  /** The {@code k}-th chunk of "big". */
  ChunkInfo chunk(int k) {
    return meta.chunk(meta.fileChunks(meta.lookup("big").orElseThrow().ino())[k]);
  }

  /** Chunks {@code from} (inclusive) to {@code to} (exclusive) of "big". */
  List<ChunkInfo> chunks(int from, int to) {
    List<ChunkInfo> out = new ArrayList<>();
    for (int k = from; k < to; k++) {
      out.add(chunk(k));
    }
    return out;
  }

  /** The bytes of the {@code k}-th chunk of "big". */
  byte[] expected(int k) {
    return Arrays.copyOfRange(content, k * CHUNK, (k + 1) * CHUNK);
  }

  /** A counting source over the blob file. */
  CountingSource source() throws Exception {
    return new CountingSource(ChunkSource.file(blobFile));
  }

  ChunkReader reader(ChunkSource source, ChunkCache cache, FetchOptions options) {
    return reader(source, cache, options, new FetchDemand(Clock.systemUTC()));
  }

  ChunkReader reader(ChunkSource source, ChunkCache cache, FetchOptions options,
      FetchDemand demand) {
    ChunkReader r = ChunkReader.open("sha256:test", source, cache, options, pool,
        Clock.systemUTC(), demand);
    readers.add(r);
    return r;
  }
}
