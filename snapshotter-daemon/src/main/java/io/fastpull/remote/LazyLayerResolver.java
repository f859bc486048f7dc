package io.fastpull.remote;

import io.fastpull.format.LazyLayer;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.ManifestContent;
import io.fastpull.registry.RegistryClient;
import io.fastpull.snapshot.RemoteLayerPolicy;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides from a Prepare's labels whether the layer is a lazy blob, and where it is.
 *
 * <p>{@code fastpull pull} (and a remount after restart) sends everything in labels: the blob, its
 * repository and the metadata location. containerd's CRI unpacker sends only the image reference,
 * the manifest digest and the layer digest: then the manifest is fetched (once per manifest) and
 * the layer's media type and annotations decide. Thread-safe.
 */
final class LazyLayerResolver {
  /** Snapshot label: the repository the lazy blob is read from. */
  static final String LABEL_REPO = LazyLayer.LABEL_PREFIX + "fastpull.repo";

  private final RegistryClient client;
  private final Map<String, Manifest> manifests = new ConcurrentHashMap<>();

  LazyLayerResolver(RegistryClient client) {
    this.client = client;
  }

  /**
   * The lazy layer the labels describe; empty when the layer is an ordinary one (or the labels
   * say too little to know).
   *
   * @throws IOException if the manifest cannot be fetched
   */
  Optional<LazyLayerRef> resolve(Map<String, String> labels) throws IOException {
    String repoLabel = labels.get(LABEL_REPO);
    String blobLabel = labels.get(LazyLayer.LABEL_BLOB);
    var footer = LazyLayer.fromMetaLabel(labels.get(LazyLayer.LABEL_META));
    if (repoLabel != null && blobLabel != null && footer.isPresent()) {
      return Optional.of(new LazyLayerRef(ImageReference.parse(repoLabel),
          Digest.parse(blobLabel), footer.get()));
    }
    String imageRef = labels.get(RemoteLayerPolicy.IMAGE_REF_LABEL);
    String manifestDigest = labels.get(RemoteLayerPolicy.MANIFEST_DIGEST_LABEL);
    String layerDigest = labels.get(RemoteLayerPolicy.LAYER_DIGEST_LABEL);
    if (imageRef == null || manifestDigest == null || layerDigest == null) {
      return Optional.empty();
    }
    ImageReference image = ImageReference.parse(imageRef);
    Manifest manifest = manifest(image, Digest.parse(manifestDigest));
    Digest layer = Digest.parse(layerDigest);
    for (Descriptor d : manifest.layers()) {
      if (d.digest().equals(layer)) {
        if (!LazyLayer.MEDIA_TYPE.equals(d.mediaType())) {
          return Optional.empty();
        }
        return LazyLayer.fromAnnotations(d.annotations())
            .map(f -> new LazyLayerRef(image, layer, f));
      }
    }
    return Optional.empty();
  }

  private Manifest manifest(ImageReference image, Digest digest) throws IOException {
    String key = image.registry() + "/" + image.repository() + "@" + digest;
    Manifest m = manifests.get(key);
    if (m == null) {
      ManifestContent content = client.fetchManifest(image.withDigest(digest));
      if (content.isIndex()) {
        throw new IOException("manifest " + key + " is an index, not an image manifest");
      }
      m = content.manifest();
      manifests.put(key, m);
    }
    return m;
  }

  /** The labels that let a later remount skip the manifest (stored with the snapshot). */
  static Map<String, String> labelsFor(LazyLayerRef ref) {
    return Map.of(
        LABEL_REPO, ref.repo().registry() + "/" + ref.repo().repository(),
        LazyLayer.LABEL_BLOB, ref.blob().toString(),
        LazyLayer.LABEL_META, LazyLayer.metaLabel(ref.footer()));
  }
}
