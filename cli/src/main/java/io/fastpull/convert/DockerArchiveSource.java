package io.fastpull.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fastpull.format.LayerCompression;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.ManifestContent;
import io.fastpull.registry.MediaTypes;
import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarReader;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code docker save} archive (legacy {@code manifest.json} with {@code Config} and {@code
 * Layers} paths; also the OCI-layout flavour of newer Docker, whose paths are {@code
 * blobs/sha256/HEX}). The archive holds one image; its manifest is synthesized as an OCI manifest
 * over the original config bytes and the layer files as stored (their sha256 is their digest).
 *
 * <p>Opening reads the whole archive once to hash the files; each blob read scans the archive
 * again to its entry (skipping other entries' content by seeking).
 */
final class DockerArchiveSource implements ImageSource {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final Path file;
  private final ManifestContent root;
  private final Map<Digest, String> paths;
  private final byte[] config;
  private final Digest configDigest;

  private DockerArchiveSource(Path file, ManifestContent root, Map<Digest, String> paths,
      byte[] config, Digest configDigest) {
    this.file = file;
    this.root = root;
    this.paths = paths;
    this.config = config;
    this.configDigest = configDigest;
  }

  private record Entry(Digest digest, long size, String mediaType, byte[] small) {}

  static DockerArchiveSource open(Path file) throws IOException {
    String where = "docker-archive:" + file;
    Map<String, Entry> entries = new HashMap<>();
    Map<String, String> links = new HashMap<>();
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      TarReader tar = new TarReader(in);
      Optional<TarHeader> h;
      while ((h = tar.next()).isPresent()) {
        String name = normal(h.get().name());
        if (h.get().type() == TarEntryType.SYMLINK) {
          String dir = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
          links.put(name, normal(Path.of(dir + h.get().linkName()).normalize().toString()));
        } else if (h.get().type() == TarEntryType.FILE) {
          entries.put(name, hash(tar.content(), h.get().size() <= (1 << 20)));
        }
      }
    } catch (NoSuchFileException e) {
      throw new ConvertException(ConvertException.Kind.BAD_REFERENCE, "no such file: " + file);
    }
    Entry manifestJson = entries.get("manifest.json");
    if (manifestJson == null || manifestJson.small() == null) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, file
          + " is not a docker save archive (no manifest.json)");
    }
    JsonNode list = MAPPER.readTree(manifestJson.small());
    if (!list.isArray() || list.size() != 1) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, "manifest.json of " + where
          + " must list exactly one image, it lists " + list.size()
          + "; save one image per archive");
    }
    JsonNode image = list.get(0);
    Entry cfg = find(entries, links, image.path("Config").asText(""), where);
    if (cfg.small() == null) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, "config of " + where
          + " is larger than 1 MiB");
    }
    Map<Digest, String> paths = new HashMap<>();
    List<Descriptor> layers = new ArrayList<>();
    for (JsonNode l : image.path("Layers")) {
      String p = resolve(links, normal(l.asText()));
      Entry e = find(entries, links, p, where);
      paths.put(e.digest(), p);
      layers.add(Descriptor.of(e.mediaType(), e.digest(), e.size()));
    }
    Descriptor config = Descriptor.of(MediaTypes.OCI_CONFIG, cfg.digest(), cfg.size());
    byte[] json = ImageJson.write(new Manifest(2, MediaTypes.OCI_MANIFEST, null, config, layers,
        null, null));
    return new DockerArchiveSource(file, new ManifestContent(MediaTypes.OCI_MANIFEST,
        Digest.sha256(json), json), paths, cfg.small(), cfg.digest());
  }

  private static Entry find(Map<String, Entry> entries, Map<String, String> links, String path,
      String where) throws ConvertException {
    Entry e = entries.get(resolve(links, normal(path)));
    if (e == null) {
      throw new ConvertException(ConvertException.Kind.MISSING_CONTENT, "'" + path
          + "' named by manifest.json is missing from " + where);
    }
    return e;
  }

  private static String resolve(Map<String, String> links, String path) {
    for (int i = 0; i < 16 && links.containsKey(path); i++) {
      path = links.get(path);
    }
    return path;
  }

  private static String normal(String name) {
    String n = name;
    while (n.startsWith("./")) {
      n = n.substring(2);
    }
    return n;
  }

  private static Entry hash(InputStream content, boolean keep) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JDK lacks SHA-256", e);
    }
    BufferedInputStream in = new BufferedInputStream(new DigestInputStream(content, md), 1 << 16);
    String type = switch (LayerCompression.detect(in)) {
      case GZIP -> MediaTypes.OCI_LAYER_GZIP;
      case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
      case NONE -> MediaTypes.OCI_LAYER_TAR;
    };
    long size;
    byte[] small = null;
    if (keep) {
      small = in.readAllBytes();
      size = small.length;
    } else {
      size = in.transferTo(OutputStream.nullOutputStream());
    }
    Digest d = Digest.parse("sha256:" + HexFormat.of().formatHex(md.digest()));
    return new Entry(d, size, type, small);
  }

  @Override
  public String describe() {
    return "docker-archive:" + file;
  }

  @Override
  public ManifestContent root() {
    return root;
  }

  @Override
  public ManifestContent manifest(Descriptor entry) throws IOException {
    throw new ConvertException(ConvertException.Kind.MISSING_CONTENT, "manifest "
        + entry.digest() + " is not in " + describe());
  }

  @Override
  public byte[] readBlob(Descriptor blob, int maxSize) throws IOException {
    if (blob.digest().equals(configDigest)) {
      return config.clone();
    }
    if (blob.size() > maxSize) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, "blob " + blob.digest()
          + " of " + describe() + " is larger than " + maxSize + " bytes");
    }
    try (InputStream in = openBlob(blob)) {
      return in.readAllBytes();
    }
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    String path = paths.get(blob.digest());
    if (path == null) {
      throw new ConvertException(ConvertException.Kind.MISSING_CONTENT, "blob " + blob.digest()
          + " is not in " + describe());
    }
    InputStream file = new BufferedInputStream(Files.newInputStream(this.file), 1 << 16);
    try {
      TarReader tar = new TarReader(file);
      Optional<TarHeader> h;
      while ((h = tar.next()).isPresent()) {
        if (h.get().type() == TarEntryType.FILE && normal(h.get().name()).equals(path)) {
          return new FilterInputStream(tar.content()) {
            @Override
            public void close() throws IOException {
              file.close();
            }
          };
        }
      }
    } catch (IOException | RuntimeException e) {
      file.close();
      throw e;
    }
    file.close();
    throw new ConvertException(ConvertException.Kind.MISSING_CONTENT, path + " vanished from "
        + describe() + " while converting");
  }

  @Override
  public void close() {}
}
