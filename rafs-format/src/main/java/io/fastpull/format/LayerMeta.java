package io.fastpull.format;

import static io.fastpull.format.FormatException.Region.METADATA;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The decoded metadata of one lazy layer: inodes, directories, xattrs, symlink targets and the
 * chunk table. Answers every question a filesystem asks without touching chunk data.
 *
 * <p>Opening validates every table against the metadata's bounds and walks the directory tree
 * once (rejecting cycles and shared directories), so that later lookups cannot run out of
 * bounds or loop. Lookups then cost O(log n) per path component and allocate only their result.
 *
 * <p>Immutable and safe for concurrent use.
 */
public final class LayerMeta {
  private final ByteBuffer m;
  private final int chunkSizeLog2;
  private final int inodeCount;
  private final int direntCount;
  private final int chunkCount;
  private final int refCount;
  private final int xattrCount;
  private final int prefetchCount;
  private final int inodeOff;
  private final int direntOff;
  private final int chunkOff;
  private final int refOff;
  private final int xattrOff;
  private final int prefetchOff;
  private final int poolOff;
  private final int poolSize;
  private final long chunkDataSize;

  private LayerMeta(ByteBuffer m) throws FormatException {
    this.m = m;
    int size = m.capacity();
    if (size < Layout.SUPER_SIZE) {
      throw new FormatException(METADATA, 0, "metadata of " + size + " bytes is shorter than the "
          + Layout.SUPER_SIZE + "-byte superblock");
    }
    if (m.getInt(0) != Layout.SUPER_MAGIC) {
      throw new FormatException(METADATA, 0, "bad superblock magic 0x"
          + Integer.toHexString(m.getInt(0)));
    }
    int version = Short.toUnsignedInt(m.getShort(4));
    if (version != Layout.VERSION) {
      throw new FormatException(METADATA, 4, "unsupported metadata version " + version);
    }
    chunkSizeLog2 = m.get(8);
    if (chunkSizeLog2 < Layout.MIN_CHUNK_LOG2 || chunkSizeLog2 > Layout.MAX_CHUNK_LOG2) {
      throw new FormatException(METADATA, 8, "chunk size 2^" + chunkSizeLog2 + " out of range");
    }
    inodeCount = count(16, Layout.INODE_SIZE);
    direntCount = count(20, Layout.DIRENT_SIZE);
    chunkCount = count(24, Layout.CHUNK_SIZE);
    refCount = count(28, Layout.CHUNK_REF_SIZE);
    xattrCount = count(32, Layout.XATTR_SIZE);
    prefetchCount = count(36, Layout.PREFETCH_SIZE);
    inodeOff = table(40, inodeCount, Layout.INODE_SIZE);
    direntOff = table(48, direntCount, Layout.DIRENT_SIZE);
    chunkOff = table(56, chunkCount, Layout.CHUNK_SIZE);
    refOff = table(64, refCount, Layout.CHUNK_REF_SIZE);
    xattrOff = table(72, xattrCount, Layout.XATTR_SIZE);
    prefetchOff = table(80, prefetchCount, Layout.PREFETCH_SIZE);
    poolOff = table(88, 0, 1);
    long ps = m.getLong(96);
    if (ps < 0 || ps > size - (long) poolOff) {
      throw new FormatException(METADATA, 96, "string pool of " + ps + " bytes at " + poolOff
          + " overruns " + size + "-byte metadata");
    }
    poolSize = (int) ps;
    chunkDataSize = m.getLong(104);
    if (chunkDataSize < 0) {
      throw new FormatException(METADATA, 104, "negative chunk data size " + chunkDataSize);
    }
    if (inodeCount < 1) {
      throw new FormatException(METADATA, 16, "no root inode");
    }
    validateChunks();
    validateInodes();
    validateTree();
    for (int i = 0; i < prefetchCount; i++) {
      int c = m.getInt(prefetchOff + i * Layout.PREFETCH_SIZE);
      if (c < 0 || c >= chunkCount) {
        throw new FormatException(METADATA, prefetchOff + (long) i * Layout.PREFETCH_SIZE,
            "prefetch entry names chunk " + Integer.toUnsignedString(c) + " of " + chunkCount);
      }
    }
  }

  /**
   * Decodes metadata that has already been decompressed and checked against its digest (see
   * {@link LayerBlob#open}).
   *
   * @throws FormatException if any table, offset or count is inconsistent
   */
  public static LayerMeta decode(byte[] metadata) throws FormatException {
    return new LayerMeta(ByteBuffer.wrap(metadata).order(ByteOrder.LITTLE_ENDIAN));
  }

  /** Decodes metadata held in a buffer (e.g. a mapped file); the buffer must not change. */
  public static LayerMeta decode(ByteBuffer metadata) throws FormatException {
    return new LayerMeta(metadata.duplicate().clear().slice().order(ByteOrder.LITTLE_ENDIAN));
  }

  private int count(int at, int recordSize) throws FormatException {
    int c = m.getInt(at);
    if (c < 0 || (long) c * recordSize > m.capacity()) {
      throw new FormatException(METADATA, at, "count " + Integer.toUnsignedString(c)
          + " cannot fit in " + m.capacity() + "-byte metadata");
    }
    return c;
  }

  private int table(int at, int count, int recordSize) throws FormatException {
    long off = m.getLong(at);
    long end = off + (long) count * recordSize;
    if (off < Layout.SUPER_SIZE || off > m.capacity() || end > m.capacity()) {
      throw new FormatException(METADATA, at, "table at " + off + " with " + count + " records of "
          + recordSize + " bytes overruns " + m.capacity() + "-byte metadata");
    }
    return (int) off;
  }

  private void validateChunks() throws FormatException {
    int chunkSize = chunkSize();
    for (int i = 0; i < chunkCount; i++) {
      int at = chunkOff + i * Layout.CHUNK_SIZE;
      long off = m.getLong(at);
      int stored = m.getInt(at + 8) & ~Layout.CHUNK_RAW;
      int size = m.getInt(at + 12);
      boolean raw = (m.getInt(at + 8) & Layout.CHUNK_RAW) != 0;
      if (off < 0 || stored <= 0 || off > chunkDataSize - stored) {
        throw new FormatException(METADATA, at, "chunk " + i + " at " + off + "+" + stored
            + " lies outside the " + chunkDataSize + "-byte chunk data");
      }
      if (size <= 0 || size > chunkSize || (raw && stored != size)) {
        throw new FormatException(METADATA, at + 12, "chunk " + i + " claims " + size
            + " bytes (stored " + stored + (raw ? " raw" : "") + ", chunk size " + chunkSize + ")");
      }
    }
  }

  private void validateInodes() throws FormatException {
    for (int ino = 1; ino <= inodeCount; ino++) {
      int at = inodeAt(ino);
      int mode = m.getInt(at);
      InodeType type = InodeType.ofMode(mode);
      if (type == null) {
        throw new FormatException(METADATA, at, "inode " + ino + " has unknown mode 0"
            + Integer.toOctalString(mode));
      }
      long size = m.getLong(at + 16);
      int start = m.getInt(at + 48);
      int count = m.getInt(at + 52);
      if (size < 0) {
        throw new FormatException(METADATA, at + 16, "inode " + ino + " has negative size");
      }
      switch (type) {
        case DIRECTORY -> {
          checkRange(at + 48, start, count, direntCount, "dirents", ino);
          validateDirents(ino, start, count);
        }
        case FILE -> {
          checkRange(at + 48, start, count, refCount, "chunk refs", ino);
          validateRefs(ino, at, size, start, count);
        }
        case SYMLINK -> {
          checkRange(at + 48, start, count, poolSize, "string pool bytes", ino);
          if (count != size) {
            throw new FormatException(METADATA, at + 16, "symlink " + ino + " size " + size
                + " differs from its target length " + count);
          }
        }
        default -> {
          if (size != 0) {
            throw new FormatException(METADATA, at + 16, "inode " + ino + " of type " + type
                + " has size " + size);
          }
        }
      }
      int xs = m.getInt(at + 56);
      int xc = m.getInt(at + 60);
      checkRange(at + 56, xs, xc, xattrCount, "xattrs", ino);
      for (int x = xs; x < xs + xc; x++) {
        int xa = xattrOff + x * Layout.XATTR_SIZE;
        checkRange(xa, m.getInt(xa), Short.toUnsignedInt(m.getShort(xa + 8)), poolSize,
            "pool bytes (xattr name)", ino);
        checkRange(xa + 4, m.getInt(xa + 4), m.getInt(xa + 12), poolSize,
            "pool bytes (xattr value)", ino);
      }
    }
  }

  private void validateDirents(int dirIno, int start, int count) throws FormatException {
    byte[] prev = null;
    for (int d = start; d < start + count; d++) {
      int at = direntOff + d * Layout.DIRENT_SIZE;
      int nameOff = m.getInt(at);
      int nameLen = Short.toUnsignedInt(m.getShort(at + 8));
      int ino = m.getInt(at + 4);
      checkRange(at, nameOff, nameLen, poolSize, "pool bytes (name)", dirIno);
      if (nameLen == 0 || nameLen > Layout.MAX_NAME) {
        throw new FormatException(METADATA, at + 8, "entry of directory " + dirIno
            + " has a name of " + nameLen + " bytes");
      }
      if (ino < 1 || ino > inodeCount) {
        throw new FormatException(METADATA, at + 4, "entry of directory " + dirIno
            + " names inode " + Integer.toUnsignedString(ino) + " of " + inodeCount);
      }
      byte[] name = new byte[nameLen];
      m.get(poolOff + nameOff, name);
      for (byte b : name) {
        if (b == '/' || b == 0) {
          throw new FormatException(METADATA, poolOff + (long) nameOff,
              "entry name of directory " + dirIno + " holds '/' or NUL");
        }
      }
      if ((nameLen == 1 && name[0] == '.') || (nameLen == 2 && name[0] == '.' && name[1] == '.')) {
        throw new FormatException(METADATA, at, "directory " + dirIno + " lists '.' or '..'");
      }
      if (prev != null && Arrays.compareUnsigned(prev, name) >= 0) {
        throw new FormatException(METADATA, at, "entries of directory " + dirIno
            + " are not sorted or not unique");
      }
      prev = name;
    }
  }

  private void validateRefs(int ino, int at, long size, int start, int count)
      throws FormatException {
    long expect = (size + chunkSize() - 1) >>> chunkSizeLog2;
    if (count != expect && !(count == 1 && size < chunkSize())) {
      throw new FormatException(METADATA, at + 52, "file " + ino + " of " + size + " bytes has "
          + count + " chunk refs, expected " + expect);
    }
    long total = 0;
    for (int r = start; r < start + count; r++) {
      int ra = refOff + r * Layout.CHUNK_REF_SIZE;
      int chunk = m.getInt(ra);
      int off = m.getInt(ra + 4);
      int len = m.getInt(ra + 8);
      if (chunk < 0 || chunk >= chunkCount) {
        throw new FormatException(METADATA, ra, "file " + ino + " refers to chunk "
            + Integer.toUnsignedString(chunk) + " of " + chunkCount);
      }
      int csize = m.getInt(chunkOff + chunk * Layout.CHUNK_SIZE + 12);
      if (off < 0 || len <= 0 || (long) off + len > csize) {
        throw new FormatException(METADATA, ra + 4, "file " + ino + " reads " + off + "+" + len
            + " of chunk " + chunk + " which holds " + csize + " bytes");
      }
      if (r < start + count - 1 && len != chunkSize()) {
        throw new FormatException(METADATA, ra + 8, "file " + ino + " has a short chunk ref "
            + "before its last");
      }
      total += len;
    }
    if (total != size) {
      throw new FormatException(METADATA, at + 16, "file " + ino + " of " + size
          + " bytes has chunk refs covering " + total);
    }
  }

  private void validateTree() throws FormatException {
    if (!inode(Layout.ROOT_INO).isDirectory()) {
      throw new FormatException(METADATA, inodeOff, "root inode is not a directory");
    }
    if (m.getInt(inodeAt(Layout.ROOT_INO) + 44) != Layout.ROOT_INO) {
      throw new FormatException(METADATA, inodeOff + 44L, "root inode is not its own parent");
    }
    BitSet seenDirs = new BitSet(inodeCount + 1);
    int[] queue = new int[inodeCount];
    int head = 0;
    int tail = 0;
    queue[tail++] = Layout.ROOT_INO;
    seenDirs.set(Layout.ROOT_INO);
    while (head < tail) {
      int dir = queue[head++];
      int at = inodeAt(dir);
      int start = m.getInt(at + 48);
      int count = m.getInt(at + 52);
      for (int d = start; d < start + count; d++) {
        int child = m.getInt(direntOff + d * Layout.DIRENT_SIZE + 4);
        if ((m.getInt(inodeAt(child)) & Layout.S_IFMT) != Layout.S_IFDIR) {
          continue;
        }
        if (seenDirs.get(child)) {
          throw new FormatException(METADATA, direntOff + (long) d * Layout.DIRENT_SIZE,
              "directory inode " + child + " is reached twice (a cycle or a shared directory)");
        }
        if (m.getInt(inodeAt(child) + 44) != dir) {
          throw new FormatException(METADATA, inodeAt(child) + 44L, "directory inode " + child
              + " names parent " + m.getInt(inodeAt(child) + 44) + " but sits in " + dir);
        }
        seenDirs.set(child);
        queue[tail++] = child;
      }
    }
  }

  private void checkRange(long at, int start, int count, int limit, String what, int ino)
      throws FormatException {
    if (start < 0 || count < 0 || (long) start + count > limit) {
      throw new FormatException(METADATA, at, "inode " + ino + " spans " + what + " "
          + Integer.toUnsignedString(start) + "+" + Integer.toUnsignedString(count) + " of "
          + limit);
    }
  }

  private int inodeAt(int ino) {
    return inodeOff + (ino - 1) * Layout.INODE_SIZE;
  }

  // ---- queries ----------------------------------------------------------------------------

  /** Bytes per chunk (a power of two). */
  public int chunkSize() {
    return 1 << chunkSizeLog2;
  }

  public int inodeCount() {
    return inodeCount;
  }

  public int chunkCount() {
    return chunkCount;
  }

  /** Bytes of chunk data at the start of the blob (the metadata follows). */
  public long chunkDataSize() {
    return chunkDataSize;
  }

  /** Whether {@code ino} names an inode of this layer. */
  public boolean exists(int ino) {
    return ino >= 1 && ino <= inodeCount;
  }

  /**
   * The attributes of {@code ino}.
   *
   * @throws IllegalArgumentException if {@code ino} is not an inode of this layer
   */
  public Inode inode(int ino) {
    checkIno(ino);
    int at = inodeAt(ino);
    return new Inode(ino, m.getInt(at), Integer.toUnsignedLong(m.getInt(at + 4)),
        Integer.toUnsignedLong(m.getInt(at + 8)), m.getInt(at + 12), m.getLong(at + 16),
        m.getLong(at + 24), m.getInt(at + 32), m.getInt(at + 36), m.getInt(at + 40));
  }

  /** The parent directory of directory {@code ino} (the root is its own parent). */
  public int parent(int ino) {
    checkIno(ino);
    return m.getInt(inodeAt(ino) + 44);
  }

  /** Looks {@code name} up in directory {@code dirIno}; empty if absent or not a directory. */
  public Optional<Inode> lookup(int dirIno, String name) {
    int ino = lookupIno(dirIno, name.getBytes(StandardCharsets.UTF_8));
    return ino == 0 ? Optional.empty() : Optional.of(inode(ino));
  }

  /** Resolves a path from the root (symlinks are not followed); empty if any part is missing. */
  public Optional<Inode> lookup(String path) {
    int ino = Layout.ROOT_INO;
    for (String c : path.split("/")) {
      if (c.isEmpty() || c.equals(".")) {
        continue;
      }
      ino = c.equals("..") ? parent(ino) : lookupIno(ino, c.getBytes(StandardCharsets.UTF_8));
      if (ino == 0) {
        return Optional.empty();
      }
    }
    return Optional.of(inode(ino));
  }

  private int lookupIno(int dirIno, byte[] name) {
    checkIno(dirIno);
    int at = inodeAt(dirIno);
    if ((m.getInt(at) & Layout.S_IFMT) != Layout.S_IFDIR) {
      return 0;
    }
    int lo = m.getInt(at + 48);
    int hi = lo + m.getInt(at + 52) - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int cmp = compareName(mid, name);
      if (cmp < 0) {
        lo = mid + 1;
      } else if (cmp > 0) {
        hi = mid - 1;
      } else {
        return m.getInt(direntOff + mid * Layout.DIRENT_SIZE + 4);
      }
    }
    return 0;
  }

  private int compareName(int dirent, byte[] name) {
    int at = direntOff + dirent * Layout.DIRENT_SIZE;
    int off = poolOff + m.getInt(at);
    int len = Short.toUnsignedInt(m.getShort(at + 8));
    int n = Math.min(len, name.length);
    for (int i = 0; i < n; i++) {
      int c = Integer.compare(Byte.toUnsignedInt(m.get(off + i)), Byte.toUnsignedInt(name[i]));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(len, name.length);
  }

  /** The entries of directory {@code dirIno} in name order (without {@code .} and {@code ..}). */
  public List<DirEntry> list(int dirIno) {
    checkIno(dirIno);
    int at = inodeAt(dirIno);
    if ((m.getInt(at) & Layout.S_IFMT) != Layout.S_IFDIR) {
      return List.of();
    }
    int start = m.getInt(at + 48);
    int count = m.getInt(at + 52);
    List<DirEntry> out = new ArrayList<>(count);
    for (int d = start; d < start + count; d++) {
      int da = direntOff + d * Layout.DIRENT_SIZE;
      int ino = m.getInt(da + 4);
      out.add(new DirEntry(string(m.getInt(da), Short.toUnsignedInt(m.getShort(da + 8))), ino,
          m.getInt(inodeAt(ino))));
    }
    return out;
  }

  /** The target of symlink {@code ino}; empty if it is not a symlink. */
  public Optional<String> readlink(int ino) {
    checkIno(ino);
    int at = inodeAt(ino);
    if ((m.getInt(at) & Layout.S_IFMT) != Layout.S_IFLNK) {
      return Optional.empty();
    }
    return Optional.of(string(m.getInt(at + 48), m.getInt(at + 52)));
  }

  /** All extended attributes of {@code ino}, name to value, in name order. */
  public Map<String, byte[]> xattrs(int ino) {
    checkIno(ino);
    int at = inodeAt(ino);
    int xs = m.getInt(at + 56);
    int xc = m.getInt(at + 60);
    if (xc == 0) {
      return Map.of();
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (int x = xs; x < xs + xc; x++) {
      int xa = xattrOff + x * Layout.XATTR_SIZE;
      byte[] value = new byte[m.getInt(xa + 12)];
      m.get(poolOff + m.getInt(xa + 4), value);
      out.put(string(m.getInt(xa), Short.toUnsignedInt(m.getShort(xa + 8))), value);
    }
    return Collections.unmodifiableMap(out);
  }

  /** One extended attribute of {@code ino}. */
  public Optional<byte[]> xattr(int ino, String name) {
    return Optional.ofNullable(xattrs(ino).get(name));
  }

  /** Entry {@code index} of the chunk table. */
  public ChunkInfo chunk(int index) {
    if (index < 0 || index >= chunkCount) {
      throw new IllegalArgumentException("no chunk " + index + " (of " + chunkCount + ")");
    }
    int at = chunkOff + index * Layout.CHUNK_SIZE;
    byte[] digest = new byte[32];
    m.get(at + 16, digest);
    int stored = m.getInt(at + 8);
    return new ChunkInfo(index, m.getLong(at), stored & ~Layout.CHUNK_RAW, m.getInt(at + 12),
        (stored & Layout.CHUNK_RAW) != 0, digest);
  }

  /** The prefetch table: chunk indices to fetch first, in order. */
  public int[] prefetch() {
    int[] out = new int[prefetchCount];
    for (int i = 0; i < prefetchCount; i++) {
      out[i] = m.getInt(prefetchOff + i * Layout.PREFETCH_SIZE);
    }
    return out;
  }

  /**
   * The chunk slices that hold bytes {@code [offset, offset + length)} of file {@code ino},
   * clamped to the file's size; empty at or past the end or for non-files.
   */
  public List<ChunkSlice> slices(int ino, long offset, long length) {
    checkIno(ino);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative offset or length: " + offset + "+" + length);
    }
    int at = inodeAt(ino);
    if ((m.getInt(at) & Layout.S_IFMT) != Layout.S_IFREG) {
      return List.of();
    }
    long size = m.getLong(at + 16);
    long end = Math.min(size, offset + Math.min(length, Long.MAX_VALUE - offset));
    if (offset >= end) {
      return List.of();
    }
    int start = m.getInt(at + 48);
    List<ChunkSlice> out = new ArrayList<>();
    long pos = offset;
    while (pos < end) {
      int k = (int) (pos >>> chunkSizeLog2);
      int ra = refOff + (start + k) * Layout.CHUNK_REF_SIZE;
      long refStart = (long) k << chunkSizeLog2;
      int refLen = m.getInt(ra + 8);
      int within = (int) (pos - refStart);
      int n = (int) Math.min(refLen - within, end - pos);
      out.add(new ChunkSlice(chunk(m.getInt(ra)), m.getInt(ra + 4) + within, n, pos));
      pos += n;
    }
    return out;
  }

  /** All chunk indices file {@code ino} reads, in file order (repeats kept). */
  public int[] fileChunks(int ino) {
    checkIno(ino);
    int at = inodeAt(ino);
    if ((m.getInt(at) & Layout.S_IFMT) != Layout.S_IFREG) {
      return new int[0];
    }
    int start = m.getInt(at + 48);
    int[] out = new int[m.getInt(at + 52)];
    for (int i = 0; i < out.length; i++) {
      out[i] = m.getInt(refOff + (start + i) * Layout.CHUNK_REF_SIZE);
    }
    return out;
  }

  private String string(int poolOffset, int length) {
    byte[] b = new byte[length];
    m.get(poolOff + poolOffset, b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private void checkIno(int ino) {
    if (ino < 1 || ino > inodeCount) {
      throw new IllegalArgumentException("no inode " + ino + " (of " + inodeCount + ")");
    }
  }
}
