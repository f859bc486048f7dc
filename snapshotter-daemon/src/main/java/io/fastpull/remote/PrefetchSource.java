package io.fastpull.remote;

import java.util.Locale;

/** Where the list of chunks a layer prefetched at mount came from. */
public enum PrefetchSource {
  /** A startup profile recorded for the image ({@code fastpull record}). */
  PROFILE,
  /** The prefetch table the converter wrote into the blob. */
  TABLE,
  /** Nothing was prefetched (yet: a profile lookup may still be running). */
  NONE;

  /** The lowercase name tools show ({@code profile}, {@code table}, {@code none}). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
