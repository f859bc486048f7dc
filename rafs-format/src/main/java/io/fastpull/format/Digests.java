package io.fastpull.format;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** sha256 instances; every JDK has the algorithm, so its absence is a broken runtime. */
final class Digests {
  private Digests() {}

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }
}
