package io.fastpull.tar;

/**
 * Recognises GNU sparse entries described by PAX records. Only format 1.0 ({@code
 * GNU.sparse.major=1}, {@code GNU.sparse.minor=0}, map stored in the data) is supported; the PAX
 * 0.x forms are rejected rather than silently extracted as their raw stored bytes.
 */
final class SparseHeaders {
  private SparseHeaders() {}

  /**
   * @return the logical size of a format 1.0 sparse entry, or null if the entry is not sparse
   * @throws TarFormatException for an unsupported sparse form or a missing real size
   */
  static Long realSize(PaxAttributes pax, long offset) throws TarFormatException {
    boolean legacy = pax.has("GNU.sparse.size") || pax.has("GNU.sparse.numblocks")
        || pax.has("GNU.sparse.offset") || pax.has("GNU.sparse.map");
    if (!pax.has("GNU.sparse.major") && !pax.has("GNU.sparse.minor")) {
      if (legacy) {
        throw new TarFormatException(offset, "GNU sparse format 0.x is unsupported; recreate the"
            + " archive with GNU tar --format=pax (which writes sparse format 1.0)");
      }
      return null;
    }
    long major = pax.number("GNU.sparse.major").orElse(-1L);
    long minor = pax.number("GNU.sparse.minor").orElse(-1L);
    if (major != 1 || minor != 0) {
      throw new TarFormatException(offset, "GNU sparse format " + major + "." + minor
          + " is unsupported (only 1.0 is)");
    }
    return pax.number("GNU.sparse.realsize").orElseThrow(() -> new TarFormatException(offset,
        "GNU sparse 1.0 entry has no GNU.sparse.realsize"));
  }
}
