package io.fastpull.fuse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a layer is mounted. Layer content never changes, so the kernel may cache attributes,
 * entries, absent names and file pages for as long as the mount lives.
 *
 * @param cacheTimeout attribute, entry and negative-lookup timeout given to the kernel
 * @param allowOther let users other than the mounter (containers) access the mount
 * @param maxRead the largest read request the kernel sends (libfuse 2 caps it at 128 KiB)
 * @param maxReadahead the kernel's read-ahead window for files of the mount
 * @param readaheadBytes the most bytes of chunks fetched ahead of a sequential reader; the
 *     window starts at 1 MiB and doubles while the reader stays sequential (0 disables)
 * @param mountTimeout how long to wait for the kernel to answer the mount
 */
public record MountOptions(Duration cacheTimeout, boolean allowOther, int maxRead,
    int maxReadahead, long readaheadBytes, Duration mountTimeout) {
  public MountOptions {
    Objects.requireNonNull(cacheTimeout, "cacheTimeout");
    Objects.requireNonNull(mountTimeout, "mountTimeout");
    if (cacheTimeout.isNegative()) {
      throw new IllegalArgumentException("cacheTimeout must be >= 0, got " + cacheTimeout);
    }
    if (maxRead < 4096 || maxRead > (128 << 10)) {
      throw new IllegalArgumentException("maxRead must be in [4096, 131072], got " + maxRead);
    }
    if (maxReadahead < 0 || readaheadBytes < 0) {
      throw new IllegalArgumentException("read-ahead must be >= 0, got " + maxReadahead + " and "
          + readaheadBytes);
    }
    if (mountTimeout.isNegative() || mountTimeout.isZero()) {
      throw new IllegalArgumentException("mountTimeout must be positive, got " + mountTimeout);
    }
  }

  /**
   * One-day kernel caches, allow_other, 128 KiB reads, 1 MiB kernel read-ahead and chunk
   * read-ahead growing from 1 MiB to 32 MiB (half the default decoded-chunk memory, so what is
   * fetched ahead is still held when the reader gets there).
   */
  public static MountOptions defaults() {
    return new MountOptions(Duration.ofDays(1), true, 128 << 10, 1 << 20, 32L << 20,
        Duration.ofSeconds(20));
  }

  public MountOptions withReadaheadBytes(long bytes) {
    return new MountOptions(cacheTimeout, allowOther, maxRead, maxReadahead, bytes, mountTimeout);
  }

  /** The {@code -o} options for libfuse 2 (the mount is read-only and reports our inodes). */
  List<String> fuseArgs() {
    long t = cacheTimeout.toSeconds();
    List<String> o = new ArrayList<>(List.of("ro", "kernel_cache", "use_ino",
        "default_permissions", "fsname=fastpull", "subtype=fastpull", "attr_timeout=" + t,
        "entry_timeout=" + t, "negative_timeout=" + t, "max_read=" + maxRead,
        "max_readahead=" + maxReadahead));
    if (allowOther) {
      o.add("allow_other");
    }
    return List.of("-o", String.join(",", o));
  }
}
