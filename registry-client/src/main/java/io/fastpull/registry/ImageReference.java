package io.fastpull.registry;

import java.util.regex.Pattern;

/**
 * A parsed image reference: {@code [registry/]repository[:tag][@digest]}.
 *
 * <p>Docker's defaults apply: a reference whose first path component has no {@code .} or {@code :} and is
 * not {@code localhost} lives on {@code docker.io}, and a single-component Docker Hub name lives under
 * {@code library/}. A reference with neither tag nor digest gets tag {@code latest}. So {@code busybox}
 * is {@code docker.io/library/busybox:latest}.
 *
 * @param registry registry name with optional port ({@code docker.io}, {@code 127.0.0.1:5000})
 * @param repository repository path ({@code library/busybox})
 * @param tag the tag, or null when only a digest is given
 * @param digest the digest, or null
 */
public record ImageReference(String registry, String repository, String tag, Digest digest) {
  /** Docker Hub's registry name in references. */
  public static final String DOCKER_HUB = "docker.io";
  /** The host that serves Docker Hub's registry API. */
  public static final String DOCKER_HUB_ENDPOINT = "registry-1.docker.io";

  private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+(?::[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+\\](?::[0-9]{1,5})?");

  public ImageReference {
    if (registry == null || !HOST.matcher(registry).matches()) {
      throw new IllegalArgumentException("bad registry '" + registry + "' in image reference");
    }
    if (repository == null || repository.isEmpty() || repository.length() > 255) {
      throw new IllegalArgumentException("bad repository '" + repository + "' in image reference");
    }
    for (String c : repository.split("/", -1)) {
      if (!COMPONENT.matcher(c).matches()) {
        throw new IllegalArgumentException(
            "bad repository '" + repository + "': component '" + c + "' must be lowercase letters, digits and separators");
      }
    }
    if (tag != null && !TAG.matcher(tag).matches()) {
      throw new IllegalArgumentException("bad tag '" + tag + "' in image reference");
    }
    if (tag == null && digest == null) {
      throw new IllegalArgumentException("image reference " + registry + "/" + repository + " needs a tag or digest");
    }
  }

  /** Parses a reference, applying Docker's defaults. @throws IllegalArgumentException when malformed */
  public static ImageReference parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty image reference");
    }
    String rest = text.trim();
    Digest digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = Digest.parse(rest.substring(at + 1));
      rest = rest.substring(0, at);
    }
    String registry = DOCKER_HUB;
    int slash = rest.indexOf('/');
    if (slash > 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost") || first.startsWith("[")) {
        registry = first;
        rest = rest.substring(slash + 1);
      }
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
    }
    if (registry.equals("index.docker.io")) {
      registry = DOCKER_HUB;
    }
    if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new ImageReference(registry, rest, tag, digest);
  }

  /** A reference to {@code digest} in the same repository (no tag). */
  public ImageReference withDigest(Digest digest) {
    return new ImageReference(registry, repository, null, digest);
  }

  /** A reference to {@code tag} in the same repository (no digest). */
  public ImageReference withTag(String tag) {
    return new ImageReference(registry, repository, tag, null);
  }

  /** The part after {@code /manifests/} in the registry API: the digest when known, else the tag. */
  public String manifestReference() {
    return digest != null ? digest.toString() : tag;
  }

  /** The host[:port] that serves this registry's API by default ({@code registry-1.docker.io} for Docker Hub). */
  public String defaultEndpointHost() {
    return registry.equals(DOCKER_HUB) ? DOCKER_HUB_ENDPOINT : registry;
  }

  /** The fully qualified form, e.g. {@code docker.io/library/busybox:latest}. */
  @Override
  public String toString() {
    return registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
  }
}
