package io.fastpull.profile;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a container read during startup: for each lazy layer of one image (by its blob digest),
 * the chunk indexes it read, in the order of their first read. Recorded by {@code fastpull
 * record}, stored as an OCI artifact that refers to the image manifest ({@link #ARTIFACT_TYPE},
 * one blob of {@link #MEDIA_TYPE}), and replayed by the daemon as prefetch when it mounts the
 * image's layers.
 *
 * <p>JSON form: {@code {"schemaVersion":1,"image":"sha256:…","layers":[{"digest":"sha256:…",
 * "chunks":[3,7,…]}]}}. Unknown fields are ignored; a different schemaVersion is rejected.
 *
 * @param schemaVersion always {@link #SCHEMA_VERSION}
 * @param image the digest of the image manifest the profile was recorded for
 * @param layers one entry per lazy layer that was read from, in image layer order
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StartupProfile(int schemaVersion, String image, List<Layer> layers) {
  public static final int SCHEMA_VERSION = 1;
  /** The artifactType of the referrer manifest. */
  public static final String ARTIFACT_TYPE = "application/vnd.fastpull.startup-profile.v1";
  /** The media type of the profile blob (this record as JSON). */
  public static final String MEDIA_TYPE = "application/vnd.fastpull.startup-profile.v1+json";
  /** Bound on a profile blob read from a registry. */
  public static final int MAX_BYTES = 16 << 20;

  private static final ObjectMapper JSON = new ObjectMapper()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * @param digest the lazy layer blob digest ({@code sha256:…})
   * @param chunks chunk indexes in order of first read, each at most once, none negative
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Layer(String digest, int[] chunks) {
    public Layer {
      Objects.requireNonNull(digest, "digest");
      if (!digest.startsWith("sha256:")) {
        throw new IllegalArgumentException("layer digest must be sha256:…, got " + digest);
      }
      chunks = chunks == null ? new int[0] : chunks.clone();
      for (int c : chunks) {
        if (c < 0) {
          throw new IllegalArgumentException("layer " + digest + " has chunk index " + c);
        }
      }
    }

    @Override
    public int[] chunks() {
      return chunks.clone();
    }
  }

  public StartupProfile {
    if (schemaVersion != SCHEMA_VERSION) {
      throw new IllegalArgumentException("startup profile schemaVersion " + schemaVersion
          + " is not supported (this build reads " + SCHEMA_VERSION + ")");
    }
    Objects.requireNonNull(image, "image");
    layers = layers == null ? List.of() : List.copyOf(layers);
  }

  /** The chunks recorded for {@code blobDigest}, if the profile has that layer. */
  public Optional<int[]> chunksOf(String blobDigest) {
    for (Layer l : layers) {
      if (l.digest().equals(blobDigest)) {
        return Optional.of(l.chunks());
      }
    }
    return Optional.empty();
  }

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("startup profile does not serialize", e);
    }
  }

  /**
   * Parses a profile blob.
   *
   * @throws IOException naming what is wrong when the bytes are not a profile of this schema
   */
  public static StartupProfile fromJson(byte[] json) throws IOException {
    try {
      return JSON.readValue(json, StartupProfile.class);
    } catch (IOException | IllegalArgumentException | NullPointerException e) {
      throw new IOException("not a fastpull startup profile: " + e.getMessage(), e);
    }
  }
}
