package io.fastpull.registry;

import java.util.Set;

/** Media types of the OCI image spec and Docker's image manifest v2 schema 2. */
public final class MediaTypes {
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
  /** The empty JSON object {@code {}} as a blob: the config of artifacts that need none (OCI 1.1). */
  public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
  public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
  public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
  public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
  public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
  public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
  public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

  /** Media types of image manifests (one platform). */
  public static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
  /** Media types of indexes (several platforms). */
  public static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);

  /** The Accept header sent for manifest requests: every manifest and index type this client reads. */
  static final String MANIFEST_ACCEPT =
      String.join(", ", OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST);

  private MediaTypes() {}
}
