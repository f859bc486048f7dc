package io.fastpull.registry;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Objects;

/**
 * The platform of an image manifest, as listed in an index.
 *
 * @param architecture CPU architecture in Go's naming ({@code amd64}, {@code arm64}, {@code arm})
 * @param os operating system ({@code linux})
 * @param variant CPU variant ({@code v7}, {@code v8}) or null
 * @param osVersion OS version or null
 * @param osFeatures OS features, never null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Platform(
    @JsonProperty("architecture") String architecture,
    @JsonProperty("os") String os,
    @JsonProperty("variant") String variant,
    @JsonProperty("os.version") String osVersion,
    @JsonProperty("os.features") List<String> osFeatures) {

  public Platform {
    if (architecture == null || architecture.isEmpty() || os == null || os.isEmpty()) {
      throw new IllegalArgumentException("platform needs os and architecture, got os=" + os + " architecture=" + architecture);
    }
    osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
  }

  /** Parses {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8}. */
  public static Platform parse(String text) {
    String[] parts = text.split("/", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException("bad platform '" + text + "': want os/arch[/variant]");
    }
    return new Platform(parts[1], parts[0], parts.length == 3 ? parts[2] : null, null, null);
  }

  /** The platform of this JVM, mapped to Go's names. */
  public static Platform current() {
    String arch = System.getProperty("os.arch");
    String goArch =
        switch (arch) {
          case "amd64", "x86_64" -> "amd64";
          case "aarch64", "arm64" -> "arm64";
          case "arm" -> "arm";
          case "ppc64le" -> "ppc64le";
          case "s390x" -> "s390x";
          case "riscv64" -> "riscv64";
          default -> arch;
        };
    return new Platform(goArch, "linux", null, null, null);
  }

  /**
   * Whether an index entry with platform {@code candidate} can run where this platform is wanted: same os and
   * architecture, and the same variant if this platform names one (arm64's missing variant counts as v8).
   */
  public boolean accepts(Platform candidate) {
    if (!os.equals(candidate.os) || !architecture.equals(candidate.architecture)) {
      return false;
    }
    return variant == null || Objects.equals(normalVariant(), candidate.normalVariant());
  }

  @JsonIgnore
  String normalVariant() {
    if (variant == null && architecture.equals("arm64")) {
      return "v8";
    }
    return variant;
  }

  @Override
  public String toString() {
    return os + "/" + architecture + (variant == null ? "" : "/" + variant);
  }
}
