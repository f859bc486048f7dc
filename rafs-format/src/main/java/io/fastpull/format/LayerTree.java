package io.fastpull.format;

import io.fastpull.tar.TarHeader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The file tree of one layer, built by applying tar entries in order as {@code tar -x} would,
 * with whiteouts turned into the form overlayfs stacks.
 *
 * <ul>
 *   <li>A later entry replaces an earlier one of the same path; a directory entry over an existing
 *       directory only changes its attributes.
 *   <li>{@code .wh.NAME} becomes a character device 0/0 named {@code NAME} (mode 0, the whiteout
 *       entry's owner and time); {@code .wh..wh..opq} sets {@code trusted.overlay.opaque=y} on its
 *       directory; other {@code .wh..wh.} names (aufs bookkeeping) are dropped.
 *   <li>Parent directories that the tar never names are made 0755, root-owned, time 0.
 *   <li>Paths with {@code ..} components, hard links to missing or directory targets, and names
 *       longer than 255 bytes are rejected with {@link LayerInputException}.
 * </ul>
 *
 * Not thread-safe.
 */
final class LayerTree {
  static final String OPAQUE_XATTR = "trusted.overlay.opaque";
  private static final String WHITEOUT = ".wh.";
  private static final String OPAQUE = ".wh..wh..opq";

  private final Node root = new Node(Layout.S_IFDIR | 0755);
  private long entries;

  Node root() {
    return root;
  }

  long entries() {
    return entries;
  }

  /** Applies one entry; for a regular file, reads its content through the chunker. */
  void apply(TarHeader h, InputStream content, FileChunker chunker) throws IOException {
    entries++;
    List<String> path = components(h.name());
    if (path.isEmpty()) {
      if (h.type() != io.fastpull.tar.TarEntryType.DIRECTORY) {
        throw new LayerInputException(h.name(), "the layer root must be a directory, not " + h.type());
      }
      setAttributes(root, h);
      root.xattrs.putAll(h.xattrs());
      return;
    }
    Node parent = parentOf(h.name(), path);
    String name = path.get(path.size() - 1);
    if (name.startsWith(WHITEOUT)) {
      applyWhiteout(h, parent, name);
      return;
    }
    switch (h.type()) {
      case DIRECTORY -> {
        Node existing = parent.children.get(name);
        if (existing != null && existing.isDirectory()) {
          setAttributes(existing, h);
          existing.xattrs.clear();
          existing.xattrs.putAll(h.xattrs());
        } else {
          parent.children.put(name, newNode(h, Layout.S_IFDIR));
        }
      }
      case FILE -> {
        Node n = newNode(h, Layout.S_IFREG);
        n.size = h.size();
        n.refs = chunker.add(content, h.size());
        parent.children.put(name, n);
      }
      case SYMLINK -> {
        Node n = newNode(h, Layout.S_IFLNK);
        n.target = h.linkName();
        n.size = h.linkName().getBytes(StandardCharsets.UTF_8).length;
        parent.children.put(name, n);
      }
      case HARDLINK -> {
        Node target = find(components(h.linkName()));
        if (target == null) {
          throw new LayerInputException(h.name(),
              "hard link target '" + h.linkName() + "' is not an earlier entry of this layer; a"
              + " link to a file of a lower layer cannot be stacked by overlayfs (containerd's"
              + " overlayfs snapshotter cannot unpack it either): rebuild the image so that this"
              + " layer holds a copy of the file instead of a link");
        }
        if (target.isDirectory()) {
          throw new LayerInputException(h.name(),
              "hard link target '" + h.linkName() + "' is a directory");
        }
        parent.children.put(name, target);
      }
      case CHAR_DEVICE, BLOCK_DEVICE -> {
        Node n = newNode(h,
            h.type() == io.fastpull.tar.TarEntryType.CHAR_DEVICE ? Layout.S_IFCHR : Layout.S_IFBLK);
        n.devMajor = h.devMajor();
        n.devMinor = h.devMinor();
        parent.children.put(name, n);
      }
      case FIFO -> parent.children.put(name, newNode(h, Layout.S_IFIFO));
    }
  }

  /** The node at a normalized path, or null. */
  Node find(List<String> path) {
    Node n = root;
    for (String c : path) {
      if (!n.isDirectory()) {
        return null;
      }
      n = n.children.get(c);
      if (n == null) {
        return null;
      }
    }
    return n;
  }

  private void applyWhiteout(TarHeader h, Node parent, String name) throws LayerInputException {
    if (name.equals(OPAQUE)) {
      parent.xattrs.put(OPAQUE_XATTR, new byte[] {'y'});
      return;
    }
    if (name.startsWith(WHITEOUT + WHITEOUT)) {
      return;
    }
    String hidden = name.substring(WHITEOUT.length());
    if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
      throw new LayerInputException(h.name(), "whiteout names no file");
    }
    Node n = new Node(Layout.S_IFCHR);
    n.uid = h.uid();
    n.gid = h.gid();
    n.mtimeSeconds = h.mtimeSeconds();
    n.mtimeNanos = h.mtimeNanos();
    parent.children.put(hidden, n);
  }

  private Node parentOf(String entry, List<String> path) throws LayerInputException {
    Node n = root;
    for (int i = 0; i < path.size() - 1; i++) {
      String c = path.get(i);
      Node next = n.children.get(c);
      if (next == null) {
        next = new Node(Layout.S_IFDIR | 0755);
        n.children.put(c, next);
      } else if (!next.isDirectory()) {
        throw new LayerInputException(entry,
            "parent '" + String.join("/", path.subList(0, i + 1)) + "' is not a directory");
      }
      n = next;
    }
    return n;
  }

  private static Node newNode(TarHeader h, int typeBits) {
    Node n = new Node(typeBits | h.mode());
    setAttributes(n, h);
    n.xattrs.putAll(h.xattrs());
    return n;
  }

  private static void setAttributes(Node n, TarHeader h) {
    n.mode = (n.mode & Layout.S_IFMT) | h.mode();
    n.uid = h.uid();
    n.gid = h.gid();
    n.mtimeSeconds = h.mtimeSeconds();
    n.mtimeNanos = h.mtimeNanos();
  }

  /**
   * Splits an archive path into components: leading {@code /} and {@code ./}, empty and {@code .}
   * components are dropped; {@code ..} is rejected since it would escape the layer.
   */
  static List<String> components(String name) throws LayerInputException {
    List<String> out = new ArrayList<>();
    for (String c : name.split("/", -1)) {
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        throw new LayerInputException(name, "path has a '..' component (escapes the layer root)");
      }
      if (c.getBytes(StandardCharsets.UTF_8).length > Layout.MAX_NAME) {
        throw new LayerInputException(name, "a path component is longer than 255 bytes");
      }
      if (c.indexOf('\0') >= 0) {
        throw new LayerInputException(name, "path has a NUL byte");
      }
      out.add(c);
    }
    return out;
  }
}
