package io.fastpull.convert;

import com.github.luben.zstd.Zstd;
import io.fastpull.format.ChildProcess;
import io.fastpull.format.Layers;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Index;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.Platform;
import io.fastpull.registry.RegistryClient;
import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;

/** Test images built in code from installed Debian packages and {@link Layers}, pushed with the client. */
final class TestImages {
  private TestImages() {}

  /** A layer: its uncompressed tar and the blob as pushed. */
  record Layer(byte[] tar, byte[] blob, String mediaType) {
    Descriptor descriptor() {
      return Descriptor.of(mediaType, blob);
    }

    String diffId() {
      return Digest.sha256(tar).toString();
    }
  }

  /** The files of an installed Debian package, as {@code tar -c} writes them. */
  static byte[] packageTar(String pkg, Path scratch) throws IOException, InterruptedException {
    String listed = run(List.of("dpkg", "-L", pkg), null);
    // Debian merges /usr: /bin is a symlink, so /bin/busybox is stored as usr/bin/busybox (a
    // layer may not put entries under a symlink). Directories come before their entries and
    // each directory's entries stay together, as GNU tar needs to restore directory times.
    TreeSet<List<String>> set = new TreeSet<>(TestImages::compareComponents);
    for (String line : listed.lines().toList()) {
      Path p = Path.of(line);
      if (!line.startsWith("/") || line.equals("/.") || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      Path real = p.getParent().toRealPath().resolve(p.getFileName());
      for (Path a = real; a != null && a.getNameCount() > 0; a = a.getParent()) {
        List<String> parts = new ArrayList<>();
        a.forEach(c -> parts.add(c.toString()));
        set.add(parts);
      }
    }
    List<String> paths = set.stream().map(c -> String.join("/", c)).toList();
    if (paths.isEmpty()) {
      throw new IllegalStateException("package " + pkg + " has no files; is it installed "
          + "(scripts/install-deps)?");
    }
    Path list = Files.createTempFile(scratch, pkg, ".list");
    Files.write(list, paths);
    Path out = Files.createTempFile(scratch, pkg, ".tar");
    run(List.of("tar", "-c", "--no-recursion", "--format=pax", "-C", "/", "-T", list.toString(),
        "-f", out.toString()), null);
    return Files.readAllBytes(out);
  }

  /** A layer with a replaced file, an opaque directory and a whiteout. */
  static byte[] whiteoutTar(long seed) throws IOException {
    return Layers.tar(w -> {
      Layers.dir(w, "./etc/", 0755);
      Layers.file(w, "./etc/replaced", Layers.bytes(5000, seed, true));
      Layers.file(w, "./etc/replaced", Layers.bytes(7000, seed + 1, false));
      Layers.file(w, "./etc/seed", Long.toString(seed).getBytes(StandardCharsets.UTF_8));
      Layers.dir(w, "./usr/", 0755);
      Layers.dir(w, "./usr/share/", 0755);
      Layers.dir(w, "./usr/share/doc/", 0755);
      Layers.file(w, "./usr/share/doc/.wh..wh..opq", new byte[0]);
      Layers.file(w, "./usr/share/doc/README", Layers.bytes(3 << 20, seed + 2, true));
      Layers.dir(w, "./bin/", 0755);
      Layers.file(w, "./bin/.wh.busybox", new byte[0]);
      Layers.symlink(w, "./bin/sh", "/usr/bin/dash");
      w.add(new TarHeader("./dev-null", TarEntryType.CHAR_DEVICE, 0666, 0, 0, 0, 1_600_000_000L,
          0, "", 1, 3, Map.of()), null);
    });
  }

  private static int compareComponents(List<String> a, List<String> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = a.get(i).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  static Layer gzip(byte[] tar) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(b)) {
      gz.write(tar);
    }
    return new Layer(tar, b.toByteArray(), MediaTypes.OCI_LAYER_GZIP);
  }

  static Layer zstd(byte[] tar) {
    return new Layer(tar, Zstd.compress(tar, 3), MediaTypes.OCI_LAYER_ZSTD);
  }

  static Layer raw(byte[] tar, String mediaType) {
    return new Layer(tar, tar, mediaType);
  }

  static byte[] config(String arch, List<Layer> layers) {
    StringBuilder ids = new StringBuilder();
    for (Layer l : layers) {
      ids.append(ids.length() == 0 ? "" : ",").append('"').append(l.diffId()).append('"');
    }
    return ("{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},"
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + ids + "]}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Pushes layers, config and manifest; tags the manifest when {@code ref} has a tag. */
  static Descriptor push(RegistryClient c, ImageReference ref, byte[] config, List<Layer> layers,
      Map<String, String> annotations) throws IOException {
    List<Descriptor> ds = new ArrayList<>();
    for (Layer l : layers) {
      c.pushBlob(ref, l.blob());
      ds.add(l.descriptor());
    }
    c.pushBlob(ref, config);
    Manifest m = new Manifest(2, MediaTypes.OCI_MANIFEST, null,
        Descriptor.of(MediaTypes.OCI_CONFIG, config), ds, null, annotations);
    byte[] json = m.toJson();
    Digest d = c.pushManifest(ref.withDigest(Digest.sha256(json)), MediaTypes.OCI_MANIFEST, json);
    if (ref.tag() != null) {
      c.pushManifest(ref, MediaTypes.OCI_MANIFEST, json);
    }
    return Descriptor.of(MediaTypes.OCI_MANIFEST, d, json.length);
  }

  static void pushIndex(RegistryClient c, ImageReference ref, List<Descriptor> entries)
      throws IOException {
    c.pushManifest(ref, MediaTypes.OCI_INDEX, Index.oci(entries).toJson());
  }

  static Descriptor at(Descriptor d, String platform) {
    Platform p = Platform.parse(platform);
    return new Descriptor(d.mediaType(), d.digest(), d.size(), d.annotations(), p, d.urls());
  }

  static String run(List<String> cmd, Path dir) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    ChildProcess.Result r = ChildProcess.run(pb, Duration.ofSeconds(120));
    if (r.exit() != 0) {
      throw new IOException(String.join(" ", cmd) + " exited " + r.exit() + ": " + r.output());
    }
    return r.output();
  }
}
