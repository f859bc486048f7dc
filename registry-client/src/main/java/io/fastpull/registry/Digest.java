package io.fastpull.registry;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest such as {@code sha256:0123...}. Only {@code sha256} and {@code sha512} are accepted,
 * the two algorithms the OCI image spec registers.
 *
 * @param algorithm {@code sha256} or {@code sha512}
 * @param hex the lowercase hex encoding, 64 or 128 characters
 */
public record Digest(String algorithm, String hex) {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

  public Digest {
    if (algorithm == null || hex == null) {
      throw new IllegalArgumentException("digest needs algorithm and hex, got " + algorithm + ":" + hex);
    }
    int want =
        switch (algorithm) {
          case "sha256" -> 64;
          case "sha512" -> 128;
          default -> throw new IllegalArgumentException(
              "unsupported digest algorithm '" + algorithm + "' (want sha256 or sha512)");
        };
    if (hex.length() != want || !HEX.matcher(hex).matches()) {
      throw new IllegalArgumentException(
          "bad " + algorithm + " digest hex '" + hex + "': want " + want + " lowercase hex characters");
    }
  }

  /** Parses {@code algorithm:hex}. @throws IllegalArgumentException when malformed */
  @JsonCreator
  public static Digest parse(String text) {
    int colon = text == null ? -1 : text.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("bad digest '" + text + "': want algorithm:hex");
    }
    return new Digest(text.substring(0, colon), text.substring(colon + 1));
  }

  /** The sha256 digest of {@code data}. */
  public static Digest sha256(byte[] data) {
    return new Digest("sha256", HexFormat.of().formatHex(newMessageDigest("sha256").digest(data)));
  }

  /** A fresh {@link MessageDigest} for this digest's algorithm. */
  public MessageDigest newMessageDigest() {
    return newMessageDigest(algorithm);
  }

  /** Whether {@code computed} (raw digest bytes of this algorithm) equals this digest. */
  public boolean matches(byte[] computed) {
    return hex.equals(HexFormat.of().formatHex(computed));
  }

  static MessageDigest newMessageDigest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JDK lacks " + algorithm, e);
    }
  }

  @JsonValue
  @Override
  public String toString() {
    return algorithm + ":" + hex;
  }
}
