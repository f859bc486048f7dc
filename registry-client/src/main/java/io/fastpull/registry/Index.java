package io.fastpull.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image index (OCI index or Docker manifest list): manifests for several platforms.
 *
 * @param schemaVersion always 2
 * @param mediaType media type as written in the JSON (may be null in OCI indexes)
 * @param manifests the entries, never null
 * @param annotations annotations, never null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Index(int schemaVersion, String mediaType, List<Descriptor> manifests, Map<String, String> annotations) {

  public Index {
    if (schemaVersion != 2) {
      throw new IllegalArgumentException("index schemaVersion " + schemaVersion + " is not supported (want 2)");
    }
    manifests = manifests == null ? List.of() : List.copyOf(manifests);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }

  /** An OCI index over {@code manifests}. */
  public static Index oci(List<Descriptor> manifests) {
    return new Index(2, MediaTypes.OCI_INDEX, manifests, null);
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
