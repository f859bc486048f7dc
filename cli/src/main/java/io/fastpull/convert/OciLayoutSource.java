package io.fastpull.convert;

import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.Index;
import io.fastpull.registry.ManifestContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An image in an OCI image layout directory ({@code oci-layout}, {@code index.json}, {@code
 * blobs/ALG/HEX}), as written by {@code skopeo copy ... oci:DIR:TAG} or {@code umoci}. The root
 * is the {@code index.json} entry whose {@code org.opencontainers.image.ref.name} is the tag, or
 * the only entry when no tag is given.
 */
final class OciLayoutSource implements ImageSource {
  static final String REF_NAME = "org.opencontainers.image.ref.name";

  private final Path dir;
  private final Descriptor root;
  private final String describe;

  private OciLayoutSource(Path dir, Descriptor root, String describe) {
    this.dir = dir;
    this.root = root;
    this.describe = describe;
  }

  static OciLayoutSource open(Path dir, Optional<String> tag) throws IOException {
    String describe = "oci:" + dir + tag.map(t -> ":" + t).orElse("");
    if (!Files.isRegularFile(dir.resolve("oci-layout"))) {
      throw new ConvertException(ConvertException.Kind.BAD_REFERENCE, dir
          + " is not an OCI image layout (no oci-layout file)");
    }
    byte[] json = read(dir.resolve("index.json"), describe);
    Index index;
    try {
      index = ImageJson.readIndex(json);
    } catch (IOException | IllegalArgumentException e) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, dir.resolve("index.json")
          + " is not an OCI index: " + e.getMessage(), e);
    }
    List<Descriptor> entries = index.manifests();
    if (tag.isPresent()) {
      List<Descriptor> named = entries.stream()
          .filter(d -> tag.get().equals(d.annotations().get(REF_NAME))).toList();
      if (named.isEmpty()) {
        throw new ConvertException(ConvertException.Kind.MISSING_CONTENT, "no image tagged '"
            + tag.get() + "' in " + dir.resolve("index.json") + "; it has " + refNames(entries));
      }
      return new OciLayoutSource(dir, named.get(0), describe);
    }
    if (entries.size() != 1) {
      throw new ConvertException(ConvertException.Kind.BAD_REFERENCE, dir.resolve("index.json")
          + " lists " + entries.size() + " images; name one as oci:" + dir + ":TAG (tags: "
          + refNames(entries) + ")");
    }
    return new OciLayoutSource(dir, entries.get(0), describe);
  }

  private static List<String> refNames(List<Descriptor> entries) {
    return entries.stream().map(d -> d.annotations().getOrDefault(REF_NAME, "(untagged)"))
        .toList();
  }

  @Override
  public String describe() {
    return describe;
  }

  @Override
  public ManifestContent root() throws IOException {
    return manifest(root);
  }

  @Override
  public ManifestContent manifest(Descriptor entry) throws IOException {
    return new ManifestContent(entry.mediaType(), entry.digest(), readBlob(entry, 4 << 20));
  }

  @Override
  public byte[] readBlob(Descriptor blob, int maxSize) throws IOException {
    Path p = path(blob.digest());
    if (Files.isRegularFile(p) && Files.size(p) > maxSize) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, p + " (" + blob.mediaType()
          + ") is larger than " + maxSize + " bytes");
    }
    byte[] data = read(p, describe);
    if (data.length != blob.size() || !blob.digest().matches(
        blob.digest().newMessageDigest().digest(data))) {
      throw new ConvertException(ConvertException.Kind.DIGEST_MISMATCH, p + " does not match "
          + "its descriptor (" + blob.digest() + ", " + blob.size() + " bytes) in " + describe);
    }
    return data;
  }

  @Override
  public InputStream openBlob(Descriptor blob) throws IOException {
    Path p = path(blob.digest());
    try {
      return Files.newInputStream(p);
    } catch (NoSuchFileException e) {
      throw missing(p, describe);
    }
  }

  private Path path(Digest d) {
    return dir.resolve("blobs").resolve(d.algorithm()).resolve(d.hex());
  }

  private static byte[] read(Path p, String describe) throws IOException {
    try {
      return Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      throw missing(p, describe);
    }
  }

  private static ConvertException missing(Path p, String describe) {
    return new ConvertException(ConvertException.Kind.MISSING_CONTENT, p + " is missing from "
        + describe + "; the layout is incomplete");
  }

  @Override
  public void close() {}
}
