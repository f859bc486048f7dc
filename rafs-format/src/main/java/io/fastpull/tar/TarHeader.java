package io.fastpull.tar;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One tar entry's metadata, with PAX and GNU extensions already applied.
 *
 * @param name the entry path exactly as archived (may start with {@code ./}; a directory may end
 *     with {@code /}); never empty
 * @param type the kind of entry
 * @param mode permission bits including setuid, setgid and sticky ({@code 07777}); no type bits
 * @param uid numeric owner
 * @param gid numeric group
 * @param size content length in bytes: the file's logical size for {@link TarEntryType#FILE}
 *     (for a sparse entry the expanded size), zero for every other type
 * @param mtimeSeconds modification time, seconds since the epoch (may be negative)
 * @param mtimeNanos sub-second part of the modification time, 0..999,999,999
 * @param linkName symlink target or hardlink target path; empty for other types
 * @param devMajor device major number (devices only, else 0)
 * @param devMinor device minor number (devices only, else 0)
 * @param xattrs extended attributes, name to raw value bytes, in archive order
 */
public record TarHeader(
    String name,
    TarEntryType type,
    int mode,
    long uid,
    long gid,
    long size,
    long mtimeSeconds,
    int mtimeNanos,
    String linkName,
    int devMajor,
    int devMinor,
    Map<String, byte[]> xattrs) {

  public TarHeader {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(linkName, "linkName");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("tar entry name is empty");
    }
    if ((mode & ~07777) != 0) {
      throw new IllegalArgumentException("mode has bits outside 07777: " + Integer.toOctalString(mode));
    }
    if (size < 0) {
      throw new IllegalArgumentException("negative size " + size + " for " + name);
    }
    if (type != TarEntryType.FILE && size != 0) {
      throw new IllegalArgumentException(type + " " + name + " has size " + size);
    }
    if (mtimeNanos < 0 || mtimeNanos > 999_999_999) {
      throw new IllegalArgumentException("mtimeNanos out of range: " + mtimeNanos);
    }
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("negative uid/gid " + uid + "/" + gid + " for " + name);
    }
    LinkedHashMap<String, byte[]> copy = new LinkedHashMap<>();
    Objects.requireNonNull(xattrs, "xattrs").forEach((k, v) -> copy.put(k, v.clone()));
    xattrs = Collections.unmodifiableMap(copy);
  }

  /** Convenience for the common case of a header without xattrs or device numbers. */
  public static TarHeader of(
      String name, TarEntryType type, int mode, long uid, long gid, long size, long mtimeSeconds) {
    return new TarHeader(name, type, mode, uid, gid, size, mtimeSeconds, 0, "", 0, 0, Map.of());
  }

  /** A copy with another name (used when whiteouts are renamed). */
  public TarHeader withName(String newName) {
    return new TarHeader(
        newName, type, mode, uid, gid, size, mtimeSeconds, mtimeNanos, linkName, devMajor, devMinor,
        xattrs);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TarHeader h)) {
      return false;
    }
    if (!(name.equals(h.name) && type == h.type && mode == h.mode && uid == h.uid && gid == h.gid
        && size == h.size && mtimeSeconds == h.mtimeSeconds && mtimeNanos == h.mtimeNanos
        && linkName.equals(h.linkName) && devMajor == h.devMajor && devMinor == h.devMinor
        && xattrs.keySet().equals(h.xattrs.keySet()))) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : xattrs.entrySet()) {
      if (!Arrays.equals(e.getValue(), h.xattrs.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, type, mode, uid, gid, size, mtimeSeconds, linkName);
  }

  @Override
  public String toString() {
    return "TarHeader[" + type + " " + name + " mode=" + Integer.toOctalString(mode) + " " + uid
        + ":" + gid + " size=" + size + (linkName.isEmpty() ? "" : " -> " + linkName) + "]";
  }
}
