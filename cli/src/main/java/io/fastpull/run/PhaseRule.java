package io.fastpull.run;

import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A named phase reached when a log line first matches {@code pattern} (found anywhere in the
 * line).
 */
public record PhaseRule(String name, Pattern pattern) {
  public PhaseRule {
    if (name == null || !name.matches("[A-Za-z0-9_.-]+")) {
      throw new IllegalArgumentException("phase name '" + name
          + "' must be letters, digits, '_', '.' or '-'");
    }
    if (pattern == null) {
      throw new IllegalArgumentException("phase " + name + " has no pattern");
    }
  }

  /** Parses {@code NAME=REGEX}. */
  public static PhaseRule parse(String text) {
    int eq = text.indexOf('=');
    if (eq <= 0 || eq == text.length() - 1) {
      throw new IllegalArgumentException("phase '" + text + "' must look like NAME=REGEX");
    }
    try {
      return new PhaseRule(text.substring(0, eq), Pattern.compile(text.substring(eq + 1)));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("phase '" + text + "' has a bad regex: "
          + e.getDescription(), e);
    }
  }

  boolean matches(String line) {
    return pattern.matcher(line).find();
  }
}
