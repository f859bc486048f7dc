package io.fastpull.convert;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fastpull.registry.Digest;
import io.fastpull.registry.Index;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The JSON this package writes (through the registry client's deterministic serializer: equal
 * images give byte-equal manifests, and equal digests, in every JVM) and the few config fields
 * it reads.
 */
final class ImageJson {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private ImageJson() {}

  static byte[] write(Manifest m) {
    return m.toJson();
  }

  static byte[] write(Index i) {
    return i.toJson();
  }

  static Index readIndex(byte[] json) throws IOException {
    return MAPPER.readValue(json, Index.class);
  }

  /** What the converter needs from an image config. */
  record Config(List<String> diffIds, Optional<Platform> platform) {
    Config {
      diffIds = List.copyOf(diffIds);
    }
  }

  /** Parses an image config blob; {@code where} names it in errors. */
  static Config config(byte[] bytes, String where) throws ConvertException {
    JsonNode root;
    try {
      root = MAPPER.readTree(bytes);
    } catch (IOException e) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE,
          "config " + where + " is not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE,
          "config " + where + " is not a JSON object");
    }
    JsonNode ids = root.path("rootfs").path("diff_ids");
    if (!ids.isArray()) {
      throw new ConvertException(ConvertException.Kind.BAD_IMAGE,
          "config " + where + " has no rootfs.diff_ids array");
    }
    List<String> diffIds = new ArrayList<>();
    for (JsonNode id : ids) {
      try {
        diffIds.add(Digest.parse(id.asText()).toString());
      } catch (IllegalArgumentException e) {
        throw new ConvertException(ConvertException.Kind.BAD_IMAGE,
            "config " + where + " has a bad diff_id: " + e.getMessage(), e);
      }
    }
    Optional<Platform> platform = Optional.empty();
    String os = root.path("os").asText("");
    String arch = root.path("architecture").asText("");
    if (!os.isEmpty() && !arch.isEmpty()) {
      String variant = root.path("variant").asText("");
      platform = Optional.of(new Platform(arch, os, variant.isEmpty() ? null : variant, null,
          null));
    }
    return new Config(diffIds, platform);
  }
}
