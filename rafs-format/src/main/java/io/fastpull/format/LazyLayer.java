package io.fastpull.format;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How a lazy blob appears in an OCI image manifest: its media type and the annotations that let a
 * node open it without reading the footer, and that lead back to the original layer.
 *
 * <p>Annotation values are strings, as OCI requires: decimal integers and {@code sha256:<hex>}
 * digests. The same facts travel as containerd snapshot labels (prefix {@link #LABEL_PREFIX}, the
 * only prefix containerd forwards to a proxy snapshotter) from {@code fastpull pull} to the
 * daemon.
 */
public final class LazyLayer {
  private LazyLayer() {}

  /**
   * The media type of a lazy layer blob in a manifest. It starts with {@code
   * application/vnd.oci.image.layer.} on purpose: containerd only treats descriptors with that
   * prefix (or Docker's rootfs types) as layers, and only layers get the snapshot labels that let
   * a remote snapshotter mount them.
   */
  public static final String MEDIA_TYPE = "application/vnd.oci.image.layer.fastpull.rafs.v1";

  /** Annotation on converted manifests: the lazy format version they use. */
  public static final String IMAGE_VERSION = "io.fastpull.image.version";

  public static final String META_OFFSET = "io.fastpull.meta.offset";
  public static final String META_STORED_SIZE = "io.fastpull.meta.stored-size";
  public static final String META_SIZE = "io.fastpull.meta.size";
  public static final String META_DIGEST = "io.fastpull.meta.digest";
  public static final String META_COMPRESSED = "io.fastpull.meta.zstd";
  /** The digest of the original (source) layer blob. */
  public static final String SOURCE_DIGEST = "io.fastpull.source.digest";
  public static final String SOURCE_MEDIA_TYPE = "io.fastpull.source.media-type";
  public static final String SOURCE_SIZE = "io.fastpull.source.size";
  /** The uncompressed digest of the layer tar (equal to the config's diff_id). */
  public static final String DIFF_ID = "io.fastpull.diff-id";

  /** containerd forwards snapshot labels with this prefix to proxy snapshotters. */
  public static final String LABEL_PREFIX = "containerd.io/snapshot/";
  /** Snapshot label: the lazy blob digest. */
  public static final String LABEL_BLOB = LABEL_PREFIX + "fastpull.blob";
  /** Snapshot label: {@code offset,storedSize,size,digest,zstd} of the metadata. */
  public static final String LABEL_META = LABEL_PREFIX + "fastpull.meta";

  /** The annotations of a converted layer. */
  public static Map<String, String> annotations(BlobFooter footer, String sourceDigest,
      String sourceMediaType, long sourceSize, String diffId) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put(META_OFFSET, Long.toString(footer.metaOffset()));
    a.put(META_STORED_SIZE, Long.toString(footer.metaStoredSize()));
    a.put(META_SIZE, Long.toString(footer.metaSize()));
    a.put(META_DIGEST, footer.metaDigestString());
    a.put(META_COMPRESSED, Boolean.toString(footer.metaCompressed()));
    a.put(SOURCE_DIGEST, sourceDigest);
    a.put(SOURCE_MEDIA_TYPE, sourceMediaType);
    a.put(SOURCE_SIZE, Long.toString(sourceSize));
    a.put(DIFF_ID, diffId);
    return a;
  }

  /** The snapshot label value carrying a footer (see {@link #LABEL_META}). */
  public static String metaLabel(BlobFooter footer) {
    return footer.metaOffset() + "," + footer.metaStoredSize() + "," + footer.metaSize() + ","
        + footer.metaDigestString() + "," + footer.metaCompressed();
  }

  /** Parses {@link #metaLabel}; empty if absent or malformed. */
  public static Optional<BlobFooter> fromMetaLabel(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String[] p = value.split(",");
    if (p.length != 5) {
      return Optional.empty();
    }
    return footer(p[0], p[1], p[2], p[3], p[4]);
  }

  /** The footer described by a layer's annotations; empty if they are absent or malformed. */
  public static Optional<BlobFooter> fromAnnotations(Map<String, String> a) {
    if (a == null || !a.containsKey(META_OFFSET)) {
      return Optional.empty();
    }
    return footer(a.get(META_OFFSET), a.get(META_STORED_SIZE), a.get(META_SIZE),
        a.get(META_DIGEST), a.getOrDefault(META_COMPRESSED, "true"));
  }

  private static Optional<BlobFooter> footer(String off, String stored, String size,
      String digest, String zstd) {
    try {
      if (digest == null || !digest.startsWith("sha256:") || digest.length() != 71) {
        return Optional.empty();
      }
      byte[] d = HexFormat.of().parseHex(digest.substring(7));
      boolean compressed = Boolean.parseBoolean(zstd);
      return Optional.of(new BlobFooter(Layout.VERSION,
          compressed ? Layout.FOOTER_FLAG_META_ZSTD : 0, Long.parseLong(off),
          Long.parseLong(stored), Long.parseLong(size), d));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
