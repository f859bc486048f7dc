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
  /** For the test's own threads (reads that block). */
  ExecutorService pool;
  /** The readers' fetch executor, on {@link #pool}, counting its tasks. */
  FetchTasks fetchTasks;
  Path blobFile;
  byte[] blob;
  LayerMeta meta;
  private byte[] content;
  private final List<ChunkReader> readers = new ArrayList<>();

  @BeforeEach
  void createBlob() throws Exception {
    pool = Executors.newCachedThreadPool();
    fetchTasks = new FetchTasks(pool);
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

  /**
   * Waits until every task the readers gave their executor has finished or is a request blocked
   * in a stall of one of {@code sources}. From then on nothing can happen until the test acts
   * (recovers a source, reads, closes a reader): no thread is left that could start a request,
   * so what has not happened now will not happen by itself. Fails after 10 s; not for a reader
   * whose fill waits for quiet while a read waits (its wake-ups never stop).
   */
  void awaitIdle(CountingSource... sources) throws InterruptedException {
    for (int i = 0; i < 2000; i++) {
      int stalled = 0;
      for (CountingSource s : sources) {
        stalled += s.stalled();
      }
      if (fetchTasks.unfinished() == stalled) {
        return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("readers still busy: " + fetchTasks.unfinished() + " tasks");
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
    ChunkReader r = ChunkReader.open("sha256:test", source, cache, options, fetchTasks,
        Clock.systemUTC(), demand);
    readers.add(r);
    return r;
  }
}
