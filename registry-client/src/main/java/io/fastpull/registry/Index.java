package io.fastpull.registry;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image index (OCI index or Docker manifest list): manifests for several platforms, or (OCI 1.1) the
 * list of a subject's referrers.
 *
 * @param schemaVersion always 2
 * @param mediaType media type as written in the JSON (may be null in OCI indexes)
 * @param artifactType the artifact type (OCI 1.1) or null
 * @param manifests the entries, never null
 * @param subject the subject descriptor (OCI 1.1) or null
 * @param annotations annotations, never null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Index(
    int schemaVersion,
    String mediaType,
    String artifactType,
    List<Descriptor> manifests,
    Descriptor subject,
    Map<String, String> annotations) {

  @JsonCreator
  public Index {
    if (schemaVersion != 2) {
      throw new IllegalArgumentException("index schemaVersion " + schemaVersion + " is not supported (want 2)");
    }
    manifests = manifests == null ? List.of() : List.copyOf(manifests);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** An index without artifactType and subject (the form before OCI 1.1). */
  public Index(int schemaVersion, String mediaType, List<Descriptor> manifests, Map<String, String> annotations) {
    this(schemaVersion, mediaType, null, manifests, null, annotations);
  }

  /** An OCI index over {@code manifests}. */
  public static Index oci(List<Descriptor> manifests) {
    return new Index(2, MediaTypes.OCI_INDEX, null, manifests, null, null);
  }

  /**
   * The entry to run on {@code wanted}: the first entry with an exactly equal variant, else the first
   * entry {@link Platform#accepts accepted} by {@code wanted}. Entries without a platform never match.
   * Empty when no entry fits.
   */
  public Optional<Descriptor> select(Platform wanted) {
    Descriptor loose = null;
    for (Descriptor d : manifests) {
      Platform p = d.platform();
      if (p == null || !wanted.accepts(p)) {
        continue;
      }
      if (java.util.Objects.equals(p.normalVariant(), wanted.normalVariant())) {
        return Optional.of(d);
      }
      if (loose == null) {
        loose = d;
      }
    }
    return Optional.ofNullable(loose);
  }

  /** Serializes to JSON bytes. */
  public byte[] toJson() {
    return Json.write(this);
  }
}
