package io.fastpull.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * An image manifest (OCI or Docker schema 2): a config blob and ordered layers.
 *
 * @param schemaVersion always 2
 * @param mediaType the manifest's media type as written in the JSON (may be null in OCI manifests)
 * @param artifactType the artifact type or null
 * @param config the config descriptor
 * @param layers the layers, base first, never null
 * @param subject the subject descriptor or null
 * @param annotations annotations, never null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(
    int schemaVersion,
    String mediaType,
    String artifactType,
    Descriptor config,
    List<Descriptor> layers,
    Descriptor subject,
    Map<String, String> annotations) {

  public Manifest {
    if (schemaVersion != 2) {
      throw new IllegalArgumentException("manifest schemaVersion " + schemaVersion + " is not supported (want 2)");
    }
    if (config == null) {
      throw new IllegalArgumentException("manifest has no config descriptor");
    }
    layers = layers == null ? List.of() : List.copyOf(layers);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** An OCI image manifest with the given config and layers. */
  public static Manifest oci(Descriptor config, List<Descriptor> layers) {
    return new Manifest(2, MediaTypes.OCI_MANIFEST, null, config, layers, null, null);
  }

  /** Serializes to JSON bytes (the bytes whose digest names the manifest once pushed). */
  public byte[] toJson() {
    return Json.write(this);
  }
}
