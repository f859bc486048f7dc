package io.fastpull.snapshot;

import java.util.Map;
import java.util.Optional;

/**
 * Decides from the labels of a Prepare whether to try mounting the layer remotely.
 *
 * <p>A remote attempt always needs a target: containerd's {@code containerd.io/snapshot.ref}
 * label, the chain id the layer's committed snapshot will carry in that label (and, unless another
 * parent holds it already, as its name). Without it the snapshotter must never
 * answer ALREADY_EXISTS, so no policy may pick such a Prepare.
 */
public interface RemoteLayerPolicy {
  /** Label containerd sets on Prepare of an unpack: the chain id to commit as. */
  String TARGET_LABEL = "containerd.io/snapshot.ref";

  /** Label the CRI plugin sets: the digest of the layer being unpacked. */
  String LAYER_DIGEST_LABEL = "containerd.io/snapshot/cri.layer-digest";

  /** Label the CRI plugin sets: the image reference being pulled. */
  String IMAGE_REF_LABEL = "containerd.io/snapshot/cri.image-ref";

  /** Label the CRI plugin sets: the digest of the image manifest. */
  String MANIFEST_DIGEST_LABEL = "containerd.io/snapshot/cri.manifest-digest";

  /** Label the CRI plugin sets: comma-separated digests of this and the following layers. */
  String IMAGE_LAYERS_LABEL = "containerd.io/snapshot/cri.image-layers";

  /** The target to commit a remote layer for, or empty to prepare it the ordinary way. */
  Optional<String> target(Map<String, String> labels);

  /**
   * The default policy: try a remote mount when the Prepare names a target and the layer digest
   * (as the CRI plugin and {@code fastpull pull} label layers).
   */
  static RemoteLayerPolicy labelled() {
    return labels -> {
      String target = labels.getOrDefault(TARGET_LABEL, "");
      String digest = labels.getOrDefault(LAYER_DIGEST_LABEL, "");
      return target.isEmpty() || digest.isEmpty() ? Optional.empty() : Optional.of(target);
    };
  }
}
