package io.fastpull.blob;

/** Why a chunk request is made, most urgent first; the order requests are served in. */
enum FetchPriority {
  /** A read is waiting for it. */
  DEMAND,
  /** A sequential reader is about to need it. */
  READAHEAD,
  /** The startup profile (or the blob's prefetch table) lists it. */
  PREFETCH,
  /** The background fill of the whole layer. */
  FILL;

  /** Whether bytes fetched at this priority count as background bytes. */
  boolean background() {
    return this == PREFETCH || this == FILL;
  }
}
