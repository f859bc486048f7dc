package io.fastpull.fuse;

import io.fastpull.blob.ChunkReader;
import io.fastpull.format.ChunkInfo;
import io.fastpull.format.ChunkSlice;
import io.fastpull.format.DirEntry;
import io.fastpull.format.Inode;
import io.fastpull.format.LayerMeta;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The read-only filesystem of one lazy layer, independent of any FUSE binding: resolves paths to
 * inode numbers and answers attribute, listing, read, link and xattr requests in terms of inode
 * numbers and byte arrays. Requests with a definite errno answer throw {@link FsException}; chunk
 * failures surface as the reader's {@link IOException}s.
 *
 * <p>Thread-safe: the metadata is immutable and the path index and read-ahead state are
 * concurrent maps.
 */
final class LayerFs {
  static final int ROOT = 1;
  private static final int MAX_PATHS = 1 << 17;

  private final String layerId;
  private final LayerMeta meta;
  private final ChunkReader reader;
  private final Readahead readahead;
  /** Path (as FUSE gives it, from "/") to inode; bounded, cleared when full. */
  private final ConcurrentHashMap<String, Integer> paths = new ConcurrentHashMap<>();

  LayerFs(String layerId, LayerMeta meta, ChunkReader reader, long readaheadBytes) {
    this.layerId = layerId;
    this.meta = meta;
    this.reader = reader;
    this.readahead = new Readahead(readaheadBytes);
  }

  String layerId() {
    return layerId;
  }

  /** The inode at {@code path} ("/" is the root), without following symlinks. */
  Optional<Inode> lookup(String path) {
    int ino = resolve(path);
    return ino == 0 ? Optional.empty() : Optional.of(meta.inode(ino));
  }

  /** Like {@link #lookup} but absence is {@link Errno#ENOENT}. */
  int ino(String path) throws FsException {
    int ino = resolve(path);
    if (ino == 0) {
      throw new FsException(Errno.ENOENT, path);
    }
    return ino;
  }

  private int resolve(String path) {
    if (path.equals("/") || path.isEmpty()) {
      return ROOT;
    }
    Integer known = paths.get(path);
    if (known != null) {
      return known;
    }
    int slash = path.lastIndexOf('/');
    int parent = resolve(slash <= 0 ? "/" : path.substring(0, slash));
    if (parent == 0) {
      return 0;
    }
    int ino = meta.lookup(parent, path.substring(slash + 1)).map(Inode::ino).orElse(0);
    if (ino != 0) {
      if (paths.size() >= MAX_PATHS) {
        paths.clear();
      }
      paths.put(path, ino);
    }
    return ino;
  }

  Inode attributes(int ino) {
    return meta.inode(ino);
  }

  /** The entries of directory {@code ino} in name order, without "." and "..". */
  List<DirEntry> list(int ino) throws FsException {
    if (!meta.inode(ino).isDirectory()) {
      throw new FsException(Errno.ENOTDIR, "inode " + ino);
    }
    return meta.list(ino);
  }

  /** The parent directory of directory {@code ino} (the root's is itself). */
  int parent(int ino) {
    return meta.parent(ino);
  }

  /** Checks that {@code ino} can be opened for reading. */
  void open(int ino, boolean write) throws FsException {
    if (write) {
      throw new FsException(Errno.EROFS, "inode " + ino);
    }
    if (meta.inode(ino).isDirectory()) {
      throw new FsException(Errno.EISDIR, "inode " + ino);
    }
  }

  /**
   * Reads up to {@code len} bytes of file {@code ino} at {@code offset} into {@code dst}.
   *
   * @return bytes read; fewer than {@code len} only at the end of the file
   * @throws IOException if a chunk cannot be fetched or fails its digest check
   */
  int read(int ino, long offset, byte[] dst, int len) throws IOException {
    Inode node = meta.inode(ino);
    if (node.isDirectory()) {
      throw new FsException(Errno.EISDIR, "inode " + ino);
    }
    if (!node.isFile()) {
      throw new FsException(Errno.EINVAL, "inode " + ino + " is not a regular file");
    }
    List<ChunkSlice> slices = meta.slices(ino, offset, len);
    if (slices.isEmpty()) {
      return 0;
    }
    if (slices.size() > 1) {
      List<ChunkInfo> own = new ArrayList<>();
      addChunks(own, slices);
      reader.readAhead(own); // one request for both; read() below moves it to the front
    }
    long[] ahead = readahead.onRead(ino, offset, len, node.size());
    if (ahead != null) {
      // This read's own chunks are fetched by read() below at once; the rest is read-ahead.
      List<ChunkInfo> next = new ArrayList<>();
      addChunks(next, meta.slices(ino, ahead[0], ahead[1] - ahead[0]));
      int own = slices.get(slices.size() - 1).chunk().index();
      next.removeIf(c -> c.index() == own);
      if (!next.isEmpty()) {
        reader.readAhead(next);
      }
    }
    int n = 0;
    for (ChunkSlice s : slices) {
      byte[] data = reader.read(s.chunk());
      System.arraycopy(data, s.offsetInChunk(), dst, (int) (s.fileOffset() - offset), s.length());
      n += s.length();
    }
    return n;
  }

  private static void addChunks(List<ChunkInfo> out, List<ChunkSlice> slices) {
    for (ChunkSlice s : slices) {
      ChunkInfo c = s.chunk();
      if (out.isEmpty() || out.get(out.size() - 1).index() != c.index()) {
        out.add(c);
      }
    }
  }

  /** The target of symlink {@code ino} as raw bytes. */
  byte[] readlink(int ino) throws FsException {
    return meta.readlink(ino).map(t -> t.getBytes(StandardCharsets.UTF_8))
        .orElseThrow(() -> new FsException(Errno.EINVAL, "inode " + ino + " is not a symlink"));
  }

  /** One extended attribute; absence is {@link Errno#ENODATA}. */
  byte[] xattr(int ino, String name) throws FsException {
    return meta.xattr(ino, name).orElseThrow(() -> new FsException(Errno.ENODATA, name));
  }

  /** The names of {@code ino}'s extended attributes in the {@code listxattr(2)} form. */
  byte[] xattrList(int ino) {
    Map<String, byte[]> x = meta.xattrs(ino);
    if (x.isEmpty()) {
      return new byte[0];
    }
    StringBuilder sb = new StringBuilder();
    for (String name : x.keySet()) {
      sb.append(name).append('\0');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  FsStat statfs() {
    int block = 4096;
    return new FsStat(block, (meta.chunkDataSize() + block - 1) / block, meta.inodeCount(), 255);
  }
}
