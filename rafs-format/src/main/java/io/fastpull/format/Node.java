package io.fastpull.format;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A mutable inode while a layer is being built; becomes an {@link Inode} when encoded. */
final class Node {
  int mode;
  long uid;
  long gid;
  long size;
  long mtimeSeconds;
  int mtimeNanos;
  int devMajor;
  int devMinor;
  /** Sorted by name so that the encoded xattr table is deterministic. */
  final Map<String, byte[]> xattrs = new TreeMap<>();
  /** Directories only. */
  final Map<String, Node> children;
  /** Regular files only. */
  List<FileRef> refs = List.of();
  /** Symlinks only. */
  String target = "";

  Node(int mode) {
    this.mode = mode;
    this.children = (mode & Layout.S_IFMT) == Layout.S_IFDIR ? new HashMap<>() : null;
  }

  boolean isDirectory() {
    return children != null;
  }
}
