package io.fastpull.format;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Serializes a {@link LayerTree} and its chunk table into the metadata region of format v1 (see
 * docs/format.md). Inodes are numbered breadth-first from the root with each directory's entries
 * sorted by the bytes of their names, so equal input gives byte-equal output.
 */
final class MetadataEncoder {
  private MetadataEncoder() {}

  /** What was encoded, for reports. */
  record Encoded(byte[] bytes, int inodes, int dirents, int chunkRefs, int xattrs) {}

  static Encoded encode(Node root, List<ChunkInfo> chunks, int chunkSizeLog2, int[] prefetch,
      long chunkDataSize) throws LayerInputException {
    IdentityHashMap<Node, Integer> inos = new IdentityHashMap<>();
    List<Node> inodes = new ArrayList<>();
    Map<Node, Integer> parents = new IdentityHashMap<>();
    Map<Node, Integer> links = new IdentityHashMap<>();
    List<byte[]> direntNames = new ArrayList<>();
    List<Node> direntTargets = new ArrayList<>();

    inos.put(root, 1);
    inodes.add(root);
    parents.put(root, 1);
    ArrayDeque<Node> queue = new ArrayDeque<>();
    queue.add(root);
    Map<Node, int[]> ranges = new IdentityHashMap<>();
    while (!queue.isEmpty()) {
      Node dir = queue.poll();
      int dirIno = inos.get(dir);
      byte[][] names = new byte[dir.children.size()][];
      Node[] kids = new Node[names.length];
      int i = 0;
      for (Map.Entry<String, Node> e : dir.children.entrySet()) {
        names[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
        kids[i] = e.getValue();
        i++;
      }
      Integer[] order = new Integer[names.length];
      for (int k = 0; k < order.length; k++) {
        order[k] = k;
      }
      Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(names[a], names[b]));
      ranges.put(dir, new int[] {direntNames.size(), names.length});
      for (int k : order) {
        Node child = kids[k];
        direntNames.add(names[k]);
        direntTargets.add(child);
        links.merge(child, 1, Integer::sum);
        if (!inos.containsKey(child)) {
          inos.put(child, inodes.size() + 1);
          inodes.add(child);
          if (child.isDirectory()) {
            parents.put(child, dirIno);
            queue.add(child);
          }
        }
      }
    }

    StringPool pool = new StringPool();
    int refCount = 0;
    int xattrCount = 0;
    for (Node n : inodes) {
      refCount += n.refs.size();
      xattrCount += n.xattrs.size();
    }
    long size = Layout.SUPER_SIZE
        + (long) inodes.size() * Layout.INODE_SIZE
        + (long) direntNames.size() * Layout.DIRENT_SIZE
        + (long) chunks.size() * Layout.CHUNK_SIZE
        + (long) refCount * Layout.CHUNK_REF_SIZE
        + (long) xattrCount * Layout.XATTR_SIZE
        + (long) prefetch.length * Layout.PREFETCH_SIZE;
    long inodeOff = Layout.SUPER_SIZE;
    long direntOff = inodeOff + (long) inodes.size() * Layout.INODE_SIZE;
    long chunkOff = direntOff + (long) direntNames.size() * Layout.DIRENT_SIZE;
    long refOff = chunkOff + (long) chunks.size() * Layout.CHUNK_SIZE;
    long xattrOff = refOff + (long) refCount * Layout.CHUNK_REF_SIZE;
    long prefetchOff = xattrOff + (long) xattrCount * Layout.XATTR_SIZE;
    long poolOff = prefetchOff + (long) prefetch.length * Layout.PREFETCH_SIZE;

    ByteBuffer tables = ByteBuffer.allocate(Math.toIntExact(size)).order(ByteOrder.LITTLE_ENDIAN);
    tables.position(Layout.SUPER_SIZE);
    int refIndex = 0;
    int xattrIndex = 0;
    List<long[]> xattrRecords = new ArrayList<>();
    for (Node n : inodes) {
      int start = 0;
      int count = 0;
      if (n.isDirectory()) {
        int[] r = ranges.get(n);
        start = r[0];
        count = r[1];
      } else if ((n.mode & Layout.S_IFMT) == Layout.S_IFREG) {
        start = refIndex;
        count = n.refs.size();
        refIndex += count;
      } else if ((n.mode & Layout.S_IFMT) == Layout.S_IFLNK) {
        byte[] t = n.target.getBytes(StandardCharsets.UTF_8);
        start = pool.add(t);
        count = t.length;
      }
      int xStart = xattrIndex;
      for (Map.Entry<String, byte[]> x : n.xattrs.entrySet()) {
        byte[] key = x.getKey().getBytes(StandardCharsets.UTF_8);
        if (key.length > 0xFFFF) {
          throw new LayerInputException(x.getKey(), "xattr name longer than 65535 bytes");
        }
        xattrRecords.add(new long[] {pool.add(key), pool.addUnshared(x.getValue()), key.length,
            x.getValue().length});
        xattrIndex++;
      }
      if (n.uid > 0xFFFF_FFFFL || n.gid > 0xFFFF_FFFFL) {
        throw new LayerInputException("inode " + inos.get(n),
            "uid/gid " + n.uid + "/" + n.gid + " does not fit 32 bits");
      }
      int nlink = n.isDirectory() ? 2 + countSubdirs(n) : links.getOrDefault(n, 1);
      tables.putInt(n.mode)
          .putInt((int) n.uid)
          .putInt((int) n.gid)
          .putInt(nlink)
          .putLong(n.size)
          .putLong(n.mtimeSeconds)
          .putInt(n.mtimeNanos)
          .putInt(n.devMajor)
          .putInt(n.devMinor)
          .putInt(n.isDirectory() ? parents.get(n) : 0)
          .putInt(start)
          .putInt(count)
          .putInt(xStart)
          .putInt(n.xattrs.size());
    }
    for (int d = 0; d < direntNames.size(); d++) {
      byte[] name = direntNames.get(d);
      tables.putInt(pool.add(name)).putInt(inos.get(direntTargets.get(d)))
          .putShort((short) name.length).putShort((short) 0);
    }
    for (ChunkInfo c : chunks) {
      tables.putLong(c.compressedOffset())
          .putInt(c.compressedSize() | (c.raw() ? Layout.CHUNK_RAW : 0))
          .putInt(c.uncompressedSize())
          .put(c.digest());
    }
    for (Node n : inodes) {
      for (FileRef r : n.refs) {
        tables.putInt(r.chunk().index()).putInt(r.offsetInChunk()).putInt(r.length());
      }
    }
    for (long[] x : xattrRecords) {
      tables.putInt((int) x[0]).putInt((int) x[1]).putShort((short) x[2]).putShort((short) 0)
          .putInt((int) x[3]);
    }
    for (int p : prefetch) {
      tables.putInt(p);
    }
    byte[] poolBytes = pool.bytes();
    tables.position(0);
    tables.putInt(Layout.SUPER_MAGIC)
        .putShort((short) Layout.VERSION)
        .putShort((short) 0)
        .put((byte) chunkSizeLog2)
        .put(new byte[7])
        .putInt(inodes.size())
        .putInt(direntNames.size())
        .putInt(chunks.size())
        .putInt(refCount)
        .putInt(xattrCount)
        .putInt(prefetch.length)
        .putLong(inodeOff)
        .putLong(direntOff)
        .putLong(chunkOff)
        .putLong(refOff)
        .putLong(xattrOff)
        .putLong(prefetchOff)
        .putLong(poolOff)
        .putLong(poolBytes.length)
        .putLong(chunkDataSize);
    byte[] out = Arrays.copyOf(tables.array(), Math.toIntExact(size + poolBytes.length));
    System.arraycopy(poolBytes, 0, out, (int) size, poolBytes.length);
    return new Encoded(out, inodes.size(), direntNames.size(), refCount, xattrCount);
  }

  private static int countSubdirs(Node dir) {
    int n = 0;
    for (Node c : dir.children.values()) {
      if (c.isDirectory()) {
        n++;
      }
    }
    return n;
  }

  /** The string pool: names are shared (a layer repeats "__init__.py" thousands of times). */
  private static final class StringPool {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final Map<ByteBuffer, Integer> seen = new HashMap<>();

    int add(byte[] s) {
      Integer at = seen.get(ByteBuffer.wrap(s));
      if (at != null) {
        return at;
      }
      int off = addUnshared(s);
      seen.put(ByteBuffer.wrap(s), off);
      return off;
    }

    int addUnshared(byte[] s) {
      int off = bytes.size();
      if ((long) off + s.length > Integer.MAX_VALUE) {
        throw new IllegalStateException("string pool over 2 GiB");
      }
      bytes.write(s, 0, s.length);
      return off;
    }

    byte[] bytes() {
      return bytes.toByteArray();
    }
  }
}
