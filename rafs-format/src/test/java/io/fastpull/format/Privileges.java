package io.fastpull.format;

import org.junit.jupiter.api.Assumptions;

/**
 * Tests that create devices, chown files or mount need root. Outside CI a developer without root
 * skips them; in CI (which runs as root) a missing privilege fails the test instead of silently
 * skipping it.
 */
public final class Privileges {
  private Privileges() {}

  public static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  public static void requireRoot() {
    if (isRoot()) {
      return;
    }
    if ("true".equals(System.getenv("CI"))) {
      throw new AssertionError("CI must run this test as root");
    }
    Assumptions.abort("needs root (run scripts/test as root)");
  }
}
