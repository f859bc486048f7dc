package io.fastpull.fuse;

import io.fastpull.format.DirEntry;
import io.fastpull.format.Inode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jnr-fuse (libfuse 2, high-level path API) binding of a {@link LayerFs}: translates each
 * callback to the filesystem's terms and back, and is the only place where an exception becomes
 * an errno. A definite answer ({@link FsException}) becomes its errno; anything else becomes EIO
 * and is logged here, once, with the layer and path.
 *
 * <p>Callbacks run on libfuse's worker threads (started and ended by libfuse, each attached to
 * the JVM), so they allocate little: read buffers are pooled and copied into the kernel's buffer
 * with a bulk {@code put} (jnr's {@code Pointer.wrap(ByteBuffer)} copies byte by byte).
 */
final class JnrFuseMount extends FuseStubFS {
  private static final Logger log = LoggerFactory.getLogger(JnrFuseMount.class);
  private static final int O_ACCMODE = 3;
  private static final int POOLED_BUFFERS = 64;

  /** Cleared on close: jnr-fuse's own shutdown hook keeps this object alive forever. */
  private volatile LayerFs fs;
  private final String layerId;
  private final int maxRead;
  private final CountDownLatch initialized = new CountDownLatch(1);
  private final ConcurrentLinkedQueue<byte[]> buffers = new ConcurrentLinkedQueue<>();

  JnrFuseMount(LayerFs fs, int maxRead) {
    this(fs, fs.layerId(), maxRead);
  }

  private JnrFuseMount(LayerFs fs, String layerId, int maxRead) {
    this.fs = fs;
    this.layerId = layerId;
    this.maxRead = maxRead;
  }

  /**
   * Builds and drops one binding that is never mounted: jnr-fuse's constructor loads libfuse and
   * generates the native stub of every callback, about 150 ms the first time in a JVM and cached
   * for every later binding. Mounts nothing and starts no thread.
   */
  static void warmUp() {
    new JnrFuseMount(null, "warm-up", 4096);
  }

  CountDownLatch initialized() {
    return initialized;
  }

  /** Drops the filesystem and tells jnr-fuse not to unmount again at JVM exit. */
  void detach() {
    fs = null;
    mounted.set(false);
  }

  private LayerFs fs() throws FsException {
    LayerFs f = fs;
    if (f == null) {
      throw new FsException(Errno.EIO, "layer " + layerId + " is unmounted");
    }
    return f;
  }

  @Override
  public Pointer init(Pointer conn) {
    initialized.countDown();
    return null;
  }

  @Override
  public int getattr(String path, FileStat stat) {
    try {
      fill(stat, fs().attributes(fs().ino(path)));
      return 0;
    } catch (Exception e) {
      return errno("getattr", path, e);
    }
  }

  static void fill(FileStat st, Inode n) {
    st.st_ino.set(n.ino());
    st.st_mode.set(n.mode());
    st.st_nlink.set(n.nlink());
    st.st_uid.set(n.uid());
    st.st_gid.set(n.gid());
    st.st_size.set(n.size());
    st.st_rdev.set(makedev(n.rdevMajor(), n.rdevMinor()));
    st.st_blksize.set(4096);
    st.st_blocks.set((n.size() + 511) / 512);
    st.st_mtim.tv_sec.set(n.mtimeSeconds());
    st.st_mtim.tv_nsec.set(n.mtimeNanos());
    st.st_atim.tv_sec.set(n.mtimeSeconds());
    st.st_atim.tv_nsec.set(n.mtimeNanos());
    st.st_ctim.tv_sec.set(n.mtimeSeconds());
    st.st_ctim.tv_nsec.set(n.mtimeNanos());
  }

  /** glibc's {@code makedev}: the 64-bit dev_t layout Linux uses. */
  static long makedev(long major, long minor) {
    return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
        | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
  }

  @Override
  public int readdir(String path, Pointer buf, FuseFillDir filler, long offset,
      FuseFileInfo fi) {
    try {
      LayerFs f = fs();
      int ino = f.ino(path);
      List<DirEntry> entries = f.list(ino);
      FileStat st = new FileStat(Runtime.getSystemRuntime());
      Pointer stp = Struct.getMemory(st);
      st.st_ino.set(ino);
      st.st_mode.set(0040000);
      filler.apply(buf, name("."), stp, 0);
      st.st_ino.set(f.parent(ino));
      filler.apply(buf, name(".."), stp, 0);
      for (DirEntry e : entries) {
        st.st_ino.set(e.ino());
        st.st_mode.set(e.mode());
        if (filler.apply(buf, name(e.name()), stp, 0) != 0) {
          break;
        }
      }
      return 0;
    } catch (Exception e) {
      return errno("readdir", path, e);
    }
  }

  /** A NUL-terminated UTF-8 name, as the filler's C side reads it. */
  private static ByteBuffer name(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    ByteBuffer bb = ByteBuffer.allocate(b.length + 1);
    bb.put(b).put((byte) 0).flip();
    return bb;
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    try {
      fs().open(fs().ino(path), (fi.flags.get() & O_ACCMODE) != 0);
      return 0;
    } catch (Exception e) {
      return errno("open", path, e);
    }
  }

  @Override
  public int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
    byte[] b = buffers.poll();
    if (b == null) {
      b = new byte[maxRead];
    }
    try {
      LayerFs f = fs();
      int n = f.read(f.ino(path), offset, b, (int) Math.min(size, b.length));
      buf.put(0, b, 0, n);
      return n;
    } catch (Exception e) {
      return errno("read", path, e);
    } finally {
      if (buffers.size() < POOLED_BUFFERS) {
        buffers.offer(b);
      }
    }
  }

  @Override
  public int readlink(String path, Pointer buf, long size) {
    try {
      byte[] target = fs().readlink(fs().ino(path));
      int n = (int) Math.min(target.length, size - 1);
      buf.put(0, target, 0, n);
      buf.putByte(n, (byte) 0);
      return 0;
    } catch (Exception e) {
      return errno("readlink", path, e);
    }
  }

  @Override
  public int getxattr(String path, String name, Pointer value, long size) {
    try {
      return copyOut(fs().xattr(fs().ino(path), name), value, size);
    } catch (Exception e) {
      return errno("getxattr", path, e);
    }
  }

  @Override
  public int listxattr(String path, Pointer list, long size) {
    try {
      return copyOut(fs().xattrList(fs().ino(path)), list, size);
    } catch (Exception e) {
      return errno("listxattr", path, e);
    }
  }

  /** The xattr calls' protocol: size 0 asks for the length; a short buffer is ERANGE. */
  private static int copyOut(byte[] data, Pointer dst, long size) throws FsException {
    if (size == 0) {
      return data.length;
    }
    if (data.length > size) {
      throw new FsException(Errno.ERANGE, data.length + " bytes for a " + size + "-byte buffer");
    }
    dst.put(0, data, 0, data.length);
    return data.length;
  }

  @Override
  public int statfs(String path, Statvfs st) {
    try {
      FsStat s = fs().statfs();
      st.f_bsize.set(s.blockSize());
      st.f_frsize.set(s.blockSize());
      st.f_blocks.set(s.blocks());
      st.f_bfree.set(0);
      st.f_bavail.set(0);
      st.f_files.set(s.files());
      st.f_ffree.set(0);
      st.f_favail.set(0);
      st.f_namemax.set(s.nameMax());
      return 0;
    } catch (Exception e) {
      return errno("statfs", path, e);
    }
  }

  /** The single exception-to-errno translation of this filesystem. */
  private int errno(String op, String path, Exception e) {
    if (e instanceof FsException fe) {
      return -fe.errno().code();
    }
    if (e instanceof IOException) {
      log.warn("{} failed with EIO layer={} path={}: {}", op, layerId, path, e.getMessage());
    } else {
      log.warn("{} failed with EIO (unexpected) layer={} path={}", op, layerId, path, e);
    }
    return -Errno.EIO.code();
  }
}
