package io.fastpull.pull;

import io.fastpull.format.BlobFooter;
import io.fastpull.format.LazyLayer;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.ImageReference;
import io.fastpull.snapshot.Snapshotter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The label vocabulary of containerd 1.6 the pull speaks: garbage-collection references between
 * content and snapshots, and the snapshot labels a remote snapshotter reads on Prepare.
 */
final class Labels {
  private Labels() {}

  /** On a lease: when containerd may drop it (RFC 3339). */
  static final String GC_EXPIRE = "containerd.io/gc.expire";
  /** Prefix of content-to-content references; the rest of the key only has to be unique. */
  static final String GC_REF_CONTENT = "containerd.io/gc.ref.content";
  /** Prefix of content-to-snapshot references; followed by the snapshotter name. */
  static final String GC_REF_SNAPSHOT = "containerd.io/gc.ref.snapshot.";
  /** On a layer blob: the digest of its uncompressed tar. */
  static final String UNCOMPRESSED = "containerd.io/uncompressed";
  /** On any blob: the repository it came from, per registry host (lets pushes cross-mount). */
  static final String DISTRIBUTION_SOURCE = "containerd.io/distribution.source.";

  /** Snapshot label: the name (chain id) the unpacked layer will be committed as. */
  static final String SNAPSHOT_REF = "containerd.io/snapshot.ref";
  static final String CRI_IMAGE_REF = "containerd.io/snapshot/cri.image-ref";
  static final String CRI_MANIFEST_DIGEST = "containerd.io/snapshot/cri.manifest-digest";
  static final String CRI_LAYER_DIGEST = "containerd.io/snapshot/cri.layer-digest";
  static final String CRI_IMAGE_LAYERS = "containerd.io/snapshot/cri.image-layers";
  /** Snapshot label read by the fastpull daemon: the repository of the lazy blob. */
  static final String FASTPULL_REPO = LazyLayer.LABEL_PREFIX + "fastpull.repo";

  /** Snapshot label of the fastpull daemon: a lazy snapshot, and the Prepare key it was for. */
  static final String LAZY = Snapshotter.LAZY_LABEL;
  /** Snapshot label of the fastpull daemon: why a lazy layer's snapshot is an ordinary one. */
  static final String NOT_LAZY = Snapshotter.NOT_LAZY_LABEL;

  /** containerd rejects a label whose key and value together exceed this many bytes. */
  static final int MAX_LABEL_BYTES = 4096;

  /** An index's references to its manifests ({@code ...content.m.<i>}). */
  static Map<String, String> index(List<Descriptor> manifests) {
    Map<String, String> l = new LinkedHashMap<>();
    for (int i = 0; i < manifests.size(); i++) {
      l.put(GC_REF_CONTENT + ".m." + i, manifests.get(i).digest().toString());
    }
    return l;
  }

  /** A manifest's references to its config and layers ({@code .config}, {@code .l.<i>}). */
  static Map<String, String> manifest(Descriptor config, List<Descriptor> layers) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put(GC_REF_CONTENT + ".config", config.digest().toString());
    for (int i = 0; i < layers.size(); i++) {
      l.put(GC_REF_CONTENT + ".l." + i, layers.get(i).digest().toString());
    }
    return l;
  }

  /** A config's reference to the top snapshot of the unpacked image on {@code snapshotter}. */
  static Map<String, String> config(String snapshotter, String topChainId) {
    return Map.of(GC_REF_SNAPSHOT + snapshotter, topChainId);
  }

  static Map<String, String> source(ImageReference ref) {
    return Map.of(DISTRIBUTION_SOURCE + ref.registry(), ref.repository());
  }

  /**
   * The labels of the Prepare (and Commit) of layer {@code i}: the target chain id, the CRI
   * labels as containerd's unpacker computes them, and for a lazy layer where its blob and
   * metadata are, so the daemon needs no manifest fetch.
   */
  static Map<String, String> snapshot(String chainId, String imageName, ImageReference ref,
      Descriptor manifest, List<Descriptor> layers, int i) {
    Descriptor layer = layers.get(i);
    Map<String, String> l = new LinkedHashMap<>();
    l.put(SNAPSHOT_REF, chainId);
    l.put(CRI_IMAGE_REF, imageName);
    l.put(CRI_MANIFEST_DIGEST, manifest.digest().toString());
    l.put(CRI_LAYER_DIGEST, layer.digest().toString());
    l.put(CRI_IMAGE_LAYERS, imageLayers(layers.subList(i, layers.size())));
    lazyFooter(layer).ifPresent(f -> {
      l.put(FASTPULL_REPO, ref.registry() + "/" + ref.repository());
      l.put(LazyLayer.LABEL_BLOB, layer.digest().toString());
      l.put(LazyLayer.LABEL_META, LazyLayer.metaLabel(f));
    });
    return l;
  }

  /**
   * Whether snapshot labels say the daemon mounted the layer for the Prepare of client key
   * {@code key}: containerd passes the key on as {@code NAMESPACE/N/KEY}.
   */
  static boolean lazyFor(Map<String, String> labels, String key) {
    String preparedFor = labels.get(LAZY);
    return preparedFor != null && (preparedFor.equals(key) || preparedFor.endsWith("/" + key));
  }

  /** The lazy blob footer a layer's annotations describe, if it is a lazy layer. */
  static java.util.Optional<BlobFooter> lazyFooter(Descriptor layer) {
    if (!LazyLayer.MEDIA_TYPE.equals(layer.mediaType())) {
      return java.util.Optional.empty();
    }
    return LazyLayer.fromAnnotations(layer.annotations());
  }

  /**
   * Comma-separated digests of {@code layers}, as many as fit in one label: containerd stops at
   * the first digest that would push the label over its size limit.
   */
  static String imageLayers(List<Descriptor> layers) {
    int room = MAX_LABEL_BYTES - CRI_IMAGE_LAYERS.getBytes(StandardCharsets.UTF_8).length;
    StringBuilder b = new StringBuilder();
    for (Descriptor d : layers) {
      String item = (b.length() == 0 ? "" : ",") + d.digest();
      if (b.length() + item.length() > room) {
        break;
      }
      b.append(item);
    }
    return b.toString();
  }
}
