package io.fastpull.convert;

import io.fastpull.format.LazyLayer;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Index;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.ManifestContent;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a source's manifests and configs and checks everything before any layer is converted or
 * anything is pushed: media types, foreign layers, already-lazy images, config diff_ids.
 *
 * <p>Index entries without a platform or with {@code unknown/unknown} (BuildKit attestation
 * manifests) are not converted: they attest the original image, not the lazy one. With
 * {@code --merge-index} they stay in the published index among the originals.
 */
final class Planner {
  static final int MAX_CONFIG = 32 << 20;

  /** Layer media types the converter reads (LayerWriter detects the compression). */
  static final Set<String> LAYER_TYPES = Set.of(
      MediaTypes.OCI_LAYER_TAR, MediaTypes.OCI_LAYER_GZIP, MediaTypes.OCI_LAYER_ZSTD,
      MediaTypes.DOCKER_LAYER_GZIP, "application/vnd.docker.image.rootfs.diff.tar");

  /** One image manifest to convert. */
  record Image(Descriptor entry, ManifestContent content, Manifest manifest, byte[] config,
      List<String> diffIds) {
    Image {
      diffIds = List.copyOf(diffIds);
    }

    Platform platform() {
      return entry.platform();
    }
  }

  /**
   * What the source holds.
   *
   * @param root the manifest or index the source names
   * @param index the root parsed as an index, when it is one
   * @param images the manifests to convert, in index order
   */
  record Plan(ManifestContent root, Optional<Index> index, List<Image> images) {
    Plan {
      images = List.copyOf(images);
    }
  }

  private Planner() {}

  static Plan plan(ImageSource source, Optional<Platform> wanted) throws IOException {
    ManifestContent root = source.root();
    String where = source.describe();
    if (!root.isIndex()) {
      checkManifestType(root, where);
      Image image = image(source, root, root.descriptor(), where);
      Platform p = image.platform();
      if (wanted.isPresent() && p != null && !wanted.get().accepts(p)) {
        throw new ConvertException(ConvertException.Kind.NO_MATCHING_PLATFORM,
            where + " is an image for " + p + ", not " + wanted.get());
      }
      return new Plan(root, Optional.empty(), List.of(image));
    }
    Index index = root.index();
    if (index.annotations().containsKey(LazyLayer.IMAGE_VERSION)) {
      throw alreadyConverted(where + " (index " + root.digest() + ")");
    }
    List<Image> images = new ArrayList<>();
    for (Descriptor entry : index.manifests()) {
      if (entry.annotations().containsKey(LazyLayer.IMAGE_VERSION)) {
        throw alreadyConverted(where + " (index " + root.digest() + " lists lazy manifest "
            + entry.digest() + ")");
      }
      Platform p = entry.platform();
      if (p == null || p.os().equals("unknown") || p.architecture().equals("unknown")) {
        continue;
      }
      if (MediaTypes.INDEXES.contains(entry.mediaType())) {
        throw new ConvertException(ConvertException.Kind.BAD_IMAGE, "index " + root.digest()
            + " of " + where + " nests index " + entry.digest() + "; nested indexes are not "
            + "supported, convert the inner index by digest");
      }
      if (wanted.isPresent() && !wanted.get().accepts(p)) {
        continue;
      }
      ManifestContent content = source.manifest(entry);
      String at = where + " (" + p + ", manifest " + entry.digest() + ")";
      checkManifestType(content, at);
      images.add(image(source, content, entry, at));
    }
    if (images.isEmpty()) {
      throw new ConvertException(ConvertException.Kind.NO_MATCHING_PLATFORM, "index "
          + root.digest() + " of " + where + " has no image manifest"
          + wanted.map(w -> " for " + w).orElse("") + "; it lists "
          + index.manifests().stream().map(d -> String.valueOf(d.platform())).toList());
    }
    return new Plan(root, Optional.of(index), images);
  }

  private static void checkManifestType(ManifestContent c, String where) throws ConvertException {
    if (!MediaTypes.MANIFESTS.contains(c.mediaType())) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, where + " is a "
          + c.mediaType() + ", not an OCI or Docker image manifest");
    }
  }

  private static Image image(ImageSource source, ManifestContent content, Descriptor entry,
      String where) throws IOException {
    Manifest m = content.manifest();
    if (m.annotations().containsKey(LazyLayer.IMAGE_VERSION)
        || m.layers().stream().anyMatch(l -> LazyLayer.MEDIA_TYPE.equals(l.mediaType()))) {
      throw alreadyConverted(where + " (manifest " + content.digest() + ")");
    }
    String cfgType = m.config().mediaType();
    if (!cfgType.equals(MediaTypes.OCI_CONFIG) && !cfgType.equals(MediaTypes.DOCKER_CONFIG)) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, where + " (manifest "
          + content.digest() + ") is not a container image: its config has media type "
          + cfgType);
    }
    for (int i = 0; i < m.layers().size(); i++) {
      checkLayer(m.layers().get(i), i, m.layers().size(), where + " (manifest "
          + content.digest() + ")");
    }
    byte[] config = source.readBlob(m.config(), MAX_CONFIG);
    ImageJson.Config cfg = ImageJson.config(config, m.config().digest() + " of " + where);
    if (cfg.diffIds().size() != m.layers().size()) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE, "manifest " + content.digest()
          + " of " + where + " has " + m.layers().size() + " layers but its config "
          + m.config().digest() + " lists " + cfg.diffIds().size() + " diff_ids");
    }
    Descriptor withPlatform = entry.platform() != null ? entry
        : cfg.platform().map(entry::withPlatform).orElse(entry);
    return new Image(withPlatform, content, m, config, cfg.diffIds());
  }

  private static void checkLayer(Descriptor l, int i, int n, String where)
      throws ConvertException {
    String what = "layer " + (i + 1) + "/" + n + " " + l.digest() + " of " + where;
    String type = l.mediaType();
    if (!l.urls().isEmpty() || type.contains("foreign") || type.contains("nondistributable")) {
      throw new ConvertException(ConvertException.Kind.FOREIGN_LAYER, what + " is a foreign "
          + "layer (" + type + ") whose content lives outside the registry; fastpull converts "
          + "only distributable layers");
    }
    if (!LAYER_TYPES.contains(type)) {
      throw new ConvertException(ConvertException.Kind.UNSUPPORTED_MEDIA_TYPE, what
          + " has media type " + type + ", which is not a tar layer; supported: "
          + LAYER_TYPES.stream().sorted().toList());
    }
  }

  private static ConvertException alreadyConverted(String where) {
    return new ConvertException(ConvertException.Kind.ALREADY_CONVERTED, where
        + " is already a fastpull lazy image (annotation " + LazyLayer.IMAGE_VERSION
        + " or layer type " + LazyLayer.MEDIA_TYPE + "); convert the original image instead");
  }
}
