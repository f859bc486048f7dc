package io.fastpull.format;

import io.fastpull.tar.TarEntryType;
import io.fastpull.tar.TarHeader;
import io.fastpull.tar.TarWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes the tree of a {@link LayerBlob} back out as a tar stream, verifying every chunk on the
 * way. Entries come depth-first in name order, directories before their contents; the second and
 * later names of a hard-linked inode become hard link entries.
 *
 * <p>{@link Whiteouts#OVERLAY} keeps the tree exactly as mounted (whiteouts as 0/0 character
 * devices, opaque directories as {@code trusted.overlay.opaque=y}), which {@code tar -x} as root
 * reproduces; {@link Whiteouts#OCI} turns them back into {@code .wh.} entries, giving an ordinary
 * OCI layer for nodes without fastpull.
 */
public final class LayerExporter {
  /** How whiteouts appear in the exported tar. */
  public enum Whiteouts {
    OVERLAY,
    OCI
  }

  private final LayerBlob blob;
  private final LayerMeta meta;
  private final Whiteouts whiteouts;
  private final Map<Integer, String> firstPath = new HashMap<>();

  private LayerExporter(LayerBlob blob, Whiteouts whiteouts) {
    this.blob = blob;
    this.meta = blob.meta();
    this.whiteouts = whiteouts;
  }

  /** Writes the whole layer as a tar to {@code out} (which is flushed, not closed). */
  public static void export(LayerBlob blob, Whiteouts whiteouts, OutputStream out)
      throws IOException {
    LayerExporter e = new LayerExporter(blob, whiteouts);
    TarWriter tar = new TarWriter(out);
    e.emitDirectory(tar, Layout.ROOT_INO, "./");
    tar.finish();
    out.flush();
  }

  private void emitDirectory(TarWriter tar, int dirIno, String path) throws IOException {
    Inode dir = meta.inode(dirIno);
    Map<String, byte[]> xattrs = new LinkedHashMap<>(meta.xattrs(dirIno));
    boolean opaque = whiteouts == Whiteouts.OCI && xattrs.remove(LayerTree.OPAQUE_XATTR) != null;
    tar.add(header(path, TarEntryType.DIRECTORY, dir, "", xattrs), null);
    if (opaque) {
      tar.add(new TarHeader(path + ".wh..wh..opq", TarEntryType.FILE, 0, dir.uid(), dir.gid(), 0,
          dir.mtimeSeconds(), dir.mtimeNanos(), "", 0, 0, Map.of()), InputStream.nullInputStream());
    }
    for (DirEntry e : meta.list(dirIno)) {
      String child = path + e.name();
      Inode n = meta.inode(e.ino());
      if (n.isDirectory()) {
        emitDirectory(tar, e.ino(), child + "/");
        continue;
      }
      String seen = firstPath.get(e.ino());
      if (seen != null) {
        tar.add(header(child, TarEntryType.HARDLINK, n, seen, Map.of()), null);
        continue;
      }
      if (!n.isDirectory() && n.nlink() > 1) {
        firstPath.put(e.ino(), child);
      }
      Map<String, byte[]> x = meta.xattrs(e.ino());
      switch (n.type()) {
        case FILE -> {
          try (InputStream content = blob.openFile(e.ino())) {
            tar.add(header(child, TarEntryType.FILE, n, "", x), content);
          }
        }
        case SYMLINK -> tar.add(header(child, TarEntryType.SYMLINK, n,
            meta.readlink(e.ino()).orElseThrow(), x), null);
        case CHAR_DEVICE -> {
          if (whiteouts == Whiteouts.OCI && n.isWhiteout()) {
            tar.add(new TarHeader(path + ".wh." + e.name(), TarEntryType.FILE, 0, n.uid(), n.gid(),
                0, n.mtimeSeconds(), n.mtimeNanos(), "", 0, 0, Map.of()),
                InputStream.nullInputStream());
          } else {
            tar.add(header(child, TarEntryType.CHAR_DEVICE, n, "", x), null);
          }
        }
        case BLOCK_DEVICE -> tar.add(header(child, TarEntryType.BLOCK_DEVICE, n, "", x), null);
        case FIFO -> tar.add(header(child, TarEntryType.FIFO, n, "", x), null);
        case SOCKET, DIRECTORY -> { } // tar cannot hold sockets; directories handled above
      }
    }
  }

  private static TarHeader header(String name, TarEntryType type, Inode n, String link,
      Map<String, byte[]> xattrs) {
    boolean device = type == TarEntryType.CHAR_DEVICE || type == TarEntryType.BLOCK_DEVICE;
    return new TarHeader(name, type, n.permissions(), n.uid(), n.gid(),
        type == TarEntryType.FILE ? n.size() : 0, n.mtimeSeconds(), n.mtimeNanos(), link,
        device ? n.rdevMajor() : 0, device ? n.rdevMinor() : 0, xattrs);
  }
}
