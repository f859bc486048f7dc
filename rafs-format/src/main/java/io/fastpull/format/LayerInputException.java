package io.fastpull.format;

import java.io.IOException;

/**
 * The layer tar given to the writer cannot become a lazy blob: an entry escapes the root, a hard
 * link names nothing, a name is too long for Linux, and so on. The message names the entry.
 */
public final class LayerInputException extends IOException {
  private static final long serialVersionUID = 1L;

  public LayerInputException(String entry, String problem) {
    super("layer entry '" + entry + "': " + problem);
  }
}
