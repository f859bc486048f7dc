package io.fastpull.daemon;

import io.fastpull.format.BlobSource;
import io.fastpull.format.LayerBlob;
import io.fastpull.format.LayerMeta;
import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import io.fastpull.format.LazyLayer;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.RegistryClient;
import io.fastpull.snapshot.RemoteLayerPolicy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A one-layer lazy image pushed to a registry, with 64 KiB chunks: {@link #FILES} of 48 KiB each
 * have one chunk of their own (in that order), and the prefetch table lists {@code bin/a}.
 *
 * @param ref the image reference (tag) it was pushed as
 * @param manifest the manifest's descriptor (the subject of referrers)
 * @param layer the lazy blob's digest
 * @param meta the blob's metadata, for chunk indexes
 * @param files the content of each file
 */
record LazyImage(ImageReference ref, Descriptor manifest, Digest layer, LayerMeta meta,
    Map<String, byte[]> files) {
  static final List<String> FILES = List.of("bin/a", "bin/b", "bin/c", "bin/d");
  static final int CHUNK = 64 << 10;

  /** Builds the image (file contents vary with {@code seed}) and pushes it as {@code ref}. */
  static LazyImage push(RegistryClient client, String ref, long seed) throws IOException {
    return push(client, ref, seed, 48 << 10);
  }

  /** As {@link #push(RegistryClient, String, long)}, with files of {@code fileBytes} each. */
  static LazyImage push(RegistryClient client, String ref, long seed, int fileBytes)
      throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 0; i < FILES.size(); i++) {
      files.put(FILES.get(i), Layers.bytes(fileBytes, seed * 10 + i, false));
    }
    byte[] tar = Layers.tar(w -> {
      Layers.dir(w, "bin/", 0755);
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        Layers.file(w, f.getKey(), f.getValue());
      }
      Layers.file(w, "etc/small", "small\n".getBytes(StandardCharsets.UTF_8));
    });
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerWriter.Result r = new LayerWriter(LayerWriter.Options.withChunkSize(CHUNK)
        .withPrefetch(List.of("bin/a"))).write(new ByteArrayInputStream(tar), out);
    byte[] blob = out.toByteArray();
    ImageReference image = ImageReference.parse(ref);
    Digest d = client.pushBlob(image, blob);
    Descriptor layer = new Descriptor(LazyLayer.MEDIA_TYPE, d, blob.length,
        LazyLayer.annotations(r.footer(), r.diffId(), MediaTypes.OCI_LAYER_TAR, tar.length,
            r.diffId()), null, null);
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        + "\"diff_ids\":[\"" + r.diffId() + "\"]}}").getBytes(StandardCharsets.UTF_8);
    Digest configDigest = client.pushBlob(image, config);
    byte[] manifest = Manifest.oci(
        Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, config.length), List.of(layer)).toJson();
    client.pushManifest(image, MediaTypes.OCI_MANIFEST, manifest);
    return new LazyImage(image, Descriptor.of(MediaTypes.OCI_MANIFEST, manifest), d,
        LayerBlob.open(BlobSource.of(blob)).meta(), files);
  }

  /** The labels containerd's CRI unpacker sends when it prepares the layer. */
  Map<String, String> criLabels() {
    return criLabels("sha256:" + "c".repeat(63) + "1");
  }

  /** The labels containerd's CRI unpacker sends, for chain id {@code target}. */
  Map<String, String> criLabels(String target) {
    return Map.of(
        RemoteLayerPolicy.TARGET_LABEL, target,
        RemoteLayerPolicy.LAYER_DIGEST_LABEL, layer.toString(),
        RemoteLayerPolicy.IMAGE_REF_LABEL, ref.toString(),
        RemoteLayerPolicy.MANIFEST_DIGEST_LABEL, manifest.digest().toString());
  }

  /** The one chunk of {@code file}. */
  int chunkOf(String file) {
    int[] chunks = meta.fileChunks(meta.lookup(file).orElseThrow().ino());
    if (chunks.length != 1) {
      throw new IllegalStateException(file + " has chunks " + java.util.Arrays.toString(chunks));
    }
    return chunks[0];
  }

  /** Stored bytes of the chunks of {@code files}. */
  long storedBytes(String... files) {
    long n = 0;
    for (String f : files) {
      n += meta.chunk(chunkOf(f)).compressedSize();
    }
    return n;
  }

}
