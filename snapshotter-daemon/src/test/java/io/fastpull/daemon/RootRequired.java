package io.fastpull.daemon;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Guard for tests that need root: skips only outside CI, fails loudly in CI. */
final class RootRequired {
  private RootRequired() {}

  static void check() {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      Assertions.fail("this test needs root and CI=true: run the build as root");
    }
    Assumptions.abort("needs root (mounts); skipped outside CI");
  }
}
