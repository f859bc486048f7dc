package io.fastpull.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A FUSE mount whose server died after serving it for a while, as a daemon killed with -9 leaves
 * it: the kernel still holds the root's attributes in its cache, so {@code stat} succeeds while
 * every request fails with ENOTCONN. The server here is a few lines of the FUSE protocol that
 * answer INIT and one GETATTR (with a long attribute timeout), then close the device.
 */
class DeadMountTest {
  /** The C calls a minimal FUSE server needs. */
  public interface LibC {
    int open(String path, int flags);

    int mount(String source, String target, String type, long flags, String data);

    long read(int fd, ByteBuffer buf, long count);

    long write(int fd, ByteBuffer buf, long count);

    int close(int fd);
  }

  private static final LibC C = LibraryLoader.create(LibC.class).load("c");
  private static final int INIT = 26;
  private static final int GETATTR = 3;
  private static final int ENOSYS = 38;

  @TempDir Path tmp;
  private Path mp;

  @AfterEach
  void unmount() throws Exception {
    if (mp != null && Mounts.fuseConnection(mp).isPresent()) {
      new ProcessBuilder("umount", "-l", mp.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aDeadMountWithCachedAttributesIsFoundAndDetached() throws Exception {
    Privileges.requireRoot();
    mp = Files.createDirectory(tmp.resolve("dead"));
    int fd = C.open("/dev/fuse", 2 | 0x80000); // O_RDWR | O_CLOEXEC
    assertTrue(fd >= 0, "open /dev/fuse");
    Thread server = new Thread(() -> serveInitAndOneGetattr(fd), "mini-fuse");
    server.setDaemon(true);
    assertEquals(0, C.mount("fastpull", mp.toString(), "fuse.fastpull", 1 /* MS_RDONLY */,
        "fd=" + fd + ",rootmode=40000,user_id=0,group_id=0"));
    server.start();
    Files.readAttributes(mp, BasicFileAttributes.class); // the one GETATTR, cached for an hour
    server.join(30_000);
    assertFalse(server.isAlive(), "the server answered and ended");
    C.close(fd); // the last fd of the connection: the server is gone

    assertTrue(Files.readAttributes(mp, BasicFileAttributes.class).isDirectory(),
        "stat is answered from the cache: it cannot tell the mount is dead");
    assertTrue(Mounts.fuseConnection(mp).isPresent());
    assertTrue(LayerMounter.isStale(mp), "found dead by a request the kernel must send");

    LayerMounter.clearStale(mp);
    assertFalse(LayerMounter.isStale(mp));
    assertEquals(java.util.Optional.empty(), Mounts.fuseConnection(mp), "detached");
  }

  /** Answers INIT, then the first GETATTR (others ENOSYS), then returns. */
  private static void serveInitAndOneGetattr(int fd) {
    ByteBuffer in = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    while (true) {
      in.clear();
      long n = C.read(fd, in, in.capacity());
      if (n < 40) {
        return;
      }
      int opcode = in.getInt(4);
      long unique = in.getLong(8);
      ByteBuffer out = ByteBuffer.allocateDirect(16 + 104).order(ByteOrder.LITTLE_ENDIAN);
      if (opcode == INIT) {
        out.putInt(0, 16 + 64).putInt(4, 0).putLong(8, unique);
        out.putInt(16, 7).putInt(20, 31); // protocol 7.31: no extended flags
        out.putInt(24, in.getInt(40 + 8)); // max_readahead as offered
        out.putInt(16 + 20, 4096); // max_write
        C.write(fd, out, 16 + 64);
      } else if (opcode == GETATTR) {
        out.putInt(0, 16 + 104).putInt(4, 0).putLong(8, unique);
        out.putLong(16, 3600); // attr_valid: one hour
        int attr = 16 + 16;
        out.putLong(attr, 1); // ino
        out.putInt(attr + 60, 040755); // mode
        out.putInt(attr + 64, 2); // nlink
        out.putInt(attr + 80, 4096); // blksize
        C.write(fd, out, 16 + 104);
        return;
      } else {
        out.putInt(0, 16).putInt(4, -ENOSYS).putLong(8, unique);
        C.write(fd, out, 16);
      }
    }
  }
}
