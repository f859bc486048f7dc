package io.fastpull.remote;

import io.fastpull.blob.ChunkSource;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import java.io.IOException;
import java.util.function.IntConsumer;

/**
 * The stored bytes of one blob, read with HTTP range requests through the shared registry client
 * (which pools connections, limits requests per host and retries transient failures). The bytes
 * are untrusted; the chunk reader checks every chunk's digest. Thread-safe.
 */
final class RegistryChunkSource implements ChunkSource {
  private final RegistryClient client;
  private final ImageReference repo;
  private final Digest blob;
  private final long size;

  RegistryChunkSource(RegistryClient client, ImageReference repo, Digest blob, long size) {
    this.client = client;
    this.repo = repo;
    this.blob = blob;
    this.size = size;
  }

  @Override
  public void read(long offset, byte[] dst, int dstOff, int len) throws IOException {
    client.readBlobRange(repo, blob, offset, dst, dstOff, len);
  }

  @Override
  public void read(long offset, byte[] dst, int dstOff, int len, IntConsumer arrived)
      throws IOException {
    client.readBlobRange(repo, blob, offset, dst, dstOff, len, arrived);
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public String describe() {
    return "registry:" + repo.registry() + "/" + repo.repository() + "@" + blob;
  }
}
