package io.fastpull.pull;

import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import io.fastpull.format.LazyLayer;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.Platform;
import io.fastpull.registry.RegistryClient;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * Test images built in code and pushed to a registry: a busybox layer (the same in every image)
 * plus two data layers (a big file, small files, a whiteout; they differ by seed), as an ordinary gzip image or as a lazy image whose layers also
 * name their gzip originals (pushed too).
 */
public final class TestImage {
  private TestImage() {}

  /** What {@code cat /etc/greeting /models/config.json; ls /models} prints in the image. */
  public static final String EXPECTED =
      "hello from a lazy layer\n{\"layers\": 3}\nconfig.json\nweights.bin";

  /**
   * A pushed image.
   *
   * @param ref the reference it was pushed as
   * @param layers the manifest's layer descriptors
   */
  public record Pushed(String ref, List<Descriptor> layers) {
    /** Sum of the manifest's layer blob sizes. */
    public long layerBytes() {
      return layers.stream().mapToLong(Descriptor::size).sum();
    }
  }

  /** The three layer tars: busybox, data with a big file, and a layer with a whiteout. */
  public static List<byte[]> tars(int bigFileBytes, long seed) throws IOException {
    byte[] busybox = Files.readAllBytes(Path.of("/bin/busybox"));
    byte[] weights = Layers.bytes(bigFileBytes, seed, false);
    return List.of(
        Layers.tar(w -> {
          Layers.dir(w, "bin/", 0755);
          Layers.file(w, "bin/busybox", 0755, 0, 0, busybox, Map.of());
          for (String s : List.of("sh", "cat", "ls", "echo", "test", "sleep", "httpd")) {
            Layers.symlink(w, "bin/" + s, "busybox");
          }
          Layers.dir(w, "tmp/", 01777);
        }),
        Layers.tar(w -> {
          Layers.dir(w, "etc/", 0755);
          Layers.file(w, "etc/greeting",
              "hello from a lazy layer\n".getBytes(StandardCharsets.UTF_8));
          Layers.dir(w, "models/", 0755);
          Layers.file(w, "models/weights.bin", weights);
          Layers.file(w, "models/old.txt", "old\n".getBytes(StandardCharsets.UTF_8));
        }),
        Layers.tar(w -> {
          // the seed makes this small layer differ between images (as the big one does)
          Layers.dir(w, "etc/", 0755);
          Layers.file(w, "etc/seed", Long.toString(seed).getBytes(StandardCharsets.UTF_8));
          Layers.dir(w, "models/", 0755);
          Layers.file(w, "models/.wh.old.txt", new byte[0]);
          Layers.file(w, "models/config.json",
              "{\"layers\": 3}\n".getBytes(StandardCharsets.UTF_8));
        }));
  }

  /** Pushes an ordinary image of gzip layers. */
  public static Pushed pushOrdinary(RegistryClient client, String ref, List<byte[]> tars)
      throws IOException {
    ImageReference image = ImageReference.parse(ref);
    List<Descriptor> layers = new ArrayList<>();
    List<String> diffIds = new ArrayList<>();
    for (byte[] tar : tars) {
      byte[] gz = gzip(tar);
      Digest d = client.pushBlob(image, gz);
      layers.add(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, d, gz.length));
      diffIds.add(Digest.sha256(tar).toString());
    }
    return push(client, image, ref, layers, diffIds);
  }

  /**
   * Pushes a lazy image (and each layer's gzip original). With {@code brokenMetaLayer} >= 0 that
   * layer's metadata digest annotation is wrong, so the snapshotter cannot mount it and declines.
   */
  public static Pushed pushLazy(RegistryClient client, String ref, List<byte[]> tars,
      int brokenMetaLayer) throws IOException {
    return pushLazy(client, ref, tars, brokenMetaLayer, true);
  }

  /**
   * Like {@link #pushLazy(RegistryClient, String, List, int)}; without {@code originals} only the
   * lazy blobs are pushed, as {@code fastpull convert} publishes an image (the annotations still
   * name the gzip originals).
   */
  public static Pushed pushLazy(RegistryClient client, String ref, List<byte[]> tars,
      int brokenMetaLayer, boolean originals) throws IOException {
    ImageReference image = ImageReference.parse(ref);
    List<Descriptor> layers = new ArrayList<>();
    List<String> diffIds = new ArrayList<>();
    for (int i = 0; i < tars.size(); i++) {
      byte[] tar = tars.get(i);
      byte[] gz = gzip(tar);
      Digest gzDigest = originals ? client.pushBlob(image, gz) : Digest.sha256(gz);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      LayerWriter.Result r = new LayerWriter(LayerWriter.Options.defaults())
          .write(new ByteArrayInputStream(tar), out);
      byte[] blob = out.toByteArray();
      Digest d = client.pushBlob(image, blob);
      Map<String, String> a = new HashMap<>(LazyLayer.annotations(r.footer(), gzDigest.toString(),
          MediaTypes.OCI_LAYER_GZIP, gz.length, r.diffId()));
      if (i == brokenMetaLayer) {
        a.put(LazyLayer.META_DIGEST, Digest.sha256(new byte[] {1}).toString());
      }
      layers.add(new Descriptor(LazyLayer.MEDIA_TYPE, d, blob.length, a, null, null));
      diffIds.add(r.diffId());
    }
    return push(client, image, ref, layers, diffIds);
  }

  private static Pushed push(RegistryClient client, ImageReference image, String ref,
      List<Descriptor> layers, List<String> diffIds) throws IOException {
    String config = "{\"architecture\":\"" + Platform.current().architecture()
        + "\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"/bin/sh\"]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + String.join("\",\"", diffIds)
        + "\"]}}";
    byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
    Digest configDigest = client.pushBlob(image, configBytes);
    Manifest m = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, configDigest,
        configBytes.length), layers);
    client.pushManifest(image, MediaTypes.OCI_MANIFEST, m.toJson());
    return new Pushed(ref, layers);
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }
}
