package io.fastpull.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;

/**
 * The one Jackson mapper of this module: lenient on unknown fields, strict on types, and
 * deterministic on output (map entries such as annotations sorted by key: the records hold them in
 * {@code Map.copyOf} maps, whose order changes from JVM to JVM, and a manifest's digest is over
 * its exact bytes). Thread-safe.
 */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper()
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
      .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  private Json() {}

  static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
    }
  }

  /** Parses {@code bytes} as {@code type}; malformed content is a PROTOCOL error naming {@code what}. */
  static <T> T read(byte[] bytes, Class<T> type, String what) throws RegistryException {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException | IllegalArgumentException e) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, "cannot parse " + what + " as " + type.getSimpleName())
          .detail(e.getMessage())
          .build();
    }
  }
}
