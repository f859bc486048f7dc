package io.fastpull.remote;

import io.fastpull.format.BlobFooter;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;

/**
 * Where a lazy layer lives and where its metadata sits in it.
 *
 * @param repo the registry repository holding the blob
 * @param blob the lazy blob's digest
 * @param footer the metadata location (from the manifest annotations or a snapshot label)
 */
record LazyLayerRef(ImageReference repo, Digest blob, BlobFooter footer) {
  /** The blob's size: the footer ends it. */
  long blobSize() {
    return footer.metaEnd() + BlobFooter.SIZE;
  }
}
