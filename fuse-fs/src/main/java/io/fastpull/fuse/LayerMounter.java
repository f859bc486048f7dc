package io.fastpull.fuse;

import io.fastpull.blob.ChunkReader;
import io.fastpull.format.LayerMeta;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts lazy layers as read-only FUSE filesystems, and finds and clears mounts left behind by a
 * crashed process. The module's entry point.
 *
 * <p>A mount shows the layer exactly as its metadata says (modes, owners, nanosecond times, link
 * counts, devices, xattrs, {@code st_ino} = the layer's inode number so hard links share it) with
 * overlayfs whiteouts (0/0 character devices, {@code trusted.overlay.opaque}), so overlayfs can
 * stack several mounts as lower directories. Thread-safe; every open mount is also unmounted when
 * the JVM shuts down.
 */
public final class LayerMounter {
  private static final Logger log = LoggerFactory.getLogger(LayerMounter.class);
  private static final Set<Handle> LIVE = ConcurrentHashMap.newKeySet();

  static {
    java.lang.Runtime.getRuntime().addShutdownHook(new Thread(LayerMounter::closeAll,
        "fastpull-unmount"));
  }

  private LayerMounter() {}

  /**
   * Mounts {@code meta}'s layer at {@code mountpoint}, serving file data from {@code reader}.
   * A stale mount found at {@code mountpoint} is cleared first. Returns once the kernel has
   * initialised the mount.
   *
   * @throws IOException if the mount point is not a directory or the mount fails or times out
   */
  public static MountedLayer mount(Path mountpoint, LayerMeta meta, ChunkReader reader,
      MountOptions options) throws IOException {
    Path mp = mountpoint.toAbsolutePath().normalize();
    if (isStale(mp)) {
      clearStale(mp);
    }
    if (!Files.isDirectory(mp)) {
      throw new IOException("mount point " + mp + " is not a directory; create it first");
    }
    if (!Charset.defaultCharset().equals(StandardCharsets.UTF_8)) {
      log.warn("default charset is {}, not UTF-8: non-ASCII names will not resolve "
          + "(run the JVM with -Dfile.encoding=UTF-8) mountpoint={}", Charset.defaultCharset(), mp);
    }
    LayerFs fs = new LayerFs(reader.layerId(), meta, reader, options.readaheadBytes());
    JnrFuseMount fuse = new JnrFuseMount(fs, options.maxRead());
    Handle h = new Handle(mp, reader.layerId(), fuse);
    h.start(options);
    LIVE.add(h);
    log.info("mounted layer={} mountpoint={}", reader.layerId(), mp);
    return h;
  }

  /**
   * Prepares the FUSE binding (loads libfuse, generates the native callback stubs) so that the
   * first {@link #mount} of this JVM does not pay for it. Optional: a mount does the same work
   * when it was not done. Mounts nothing; safe to call from any thread, any number of times (only
   * the first call costs).
   *
   * @throws IOException if libfuse cannot be loaded (the first mount would fail the same way)
   */
  /**
   * {@link #warmUp()}, then serves a small generated layer through a real mount under {@code
   * scratch} (removed afterwards) a few thousand times, so that the read path is compiled before
   * the first container reads through it. For a daemon's start, in the background; takes about a
   * second of CPU. Idempotent. {@code stop} is polled as it goes: once true, it unmounts, cleans
   * up and returns early (for a daemon shutting down meanwhile).
   *
   * @throws IOException if libfuse cannot be loaded or the scratch mount fails
   */
  public static void warmUp(Path scratch, BooleanSupplier stop) throws IOException {
    warmUp();
    WarmUp.run(scratch, stop);
  }

  public static void warmUp() throws IOException {
    try {
      JnrFuseMount.warmUp();
    } catch (RuntimeException | LinkageError e) {
      throw new IOException("cannot load libfuse (is the libfuse2 package installed?): " + e, e);
    }
  }

  /**
   * Whether {@code mountpoint} holds a FUSE mount whose server is gone (the kernel answers
   * "Transport endpoint is not connected").
   */
  public static boolean isStale(Path mountpoint) {
    return Mounts.isStale(mountpoint);
  }

  /**
   * Detaches the dead FUSE mounts at {@code mountpoint} (left by a process that was killed while
   * serving them): aborts each connection through fusectl, so that nothing waits on it, then
   * unmounts it lazily, which works while containers' overlays still hold it (they keep seeing
   * I/O errors from it; new mounts at {@code mountpoint} are unaffected). Repeats for mounts
   * stacked below. Does nothing if no dead mount is there; logs what it did.
   *
   * @throws IOException if a dead mount is still there afterwards
   */
  public static void clearStale(Path mountpoint) throws IOException {
    for (int i = 0; i < 16 && Mounts.isStale(mountpoint); i++) {
      Optional<Integer> connection = Mounts.fuseConnection(mountpoint);
      boolean aborted = connection.isPresent() && Mounts.abort(connection.get());
      Mounts.unmount(mountpoint, true);
      log.info("detached dead FUSE mount mountpoint={} connection={} aborted={}", mountpoint,
          connection.map(String::valueOf).orElse("unknown"), aborted);
    }
    if (Mounts.isStale(mountpoint)) {
      throw new IOException("dead FUSE mount at " + mountpoint + " could not be detached:"
          + " run umount -l " + mountpoint);
    }
  }

  private static void closeAll() {
    for (Handle h : List.copyOf(LIVE)) {
      try {
        h.close();
      } catch (IOException | RuntimeException e) {
        log.warn("unmount at shutdown failed mountpoint={}", h.mountpoint, e);
      }
    }
  }

  /** One live mount: the thread running libfuse's loop, and its unmounting. */
  private static final class Handle implements MountedLayer {
    private final Path mountpoint;
    private final String layerId;
    private final JnrFuseMount fuse;
    private final Object lock = new Object();
    private Thread loop;
    private volatile Throwable loopFailure;
    /** Guarded by {@link #lock}. */
    private boolean closed;

    Handle(Path mountpoint, String layerId, JnrFuseMount fuse) {
      this.mountpoint = mountpoint;
      this.layerId = layerId;
      this.fuse = fuse;
    }

    void start(MountOptions options) throws IOException {
      String[] args = options.fuseArgs().toArray(String[]::new);
      loop = new Thread(() -> {
        try {
          fuse.mount(mountpoint, true, false, args);
        } catch (Throwable t) {
          loopFailure = t;
        }
      }, "fuse-" + mountpoint.getFileName());
      loop.setDaemon(true);
      loop.start();
      long deadline = System.nanoTime() + options.mountTimeout().toNanos();
      try {
        while (!fuse.initialized().await(20, TimeUnit.MILLISECONDS)) {
          if (!loop.isAlive()) {
            fuse.detach();
            throw new IOException("mounting layer " + layerId + " at " + mountpoint
                + " failed: " + (loopFailure == null ? "libfuse exited" : loopFailure)
                + " (is /dev/fuse present and the mount point free?)", loopFailure);
          }
          if (System.nanoTime() > deadline) {
            IOException e = new IOException("mounting layer " + layerId + " at " + mountpoint
                + " timed out after " + options.mountTimeout());
            try {
              close();
            } catch (IOException c) {
              e.addSuppressed(c);
            }
            throw e;
          }
        }
      } catch (InterruptedException e) {
        // libfuse may be about to mount: let it finish (or fail) before unmounting, else the
        // mount would appear after close() and outlive this handle.
        boolean settled = awaitSettled(deadline);
        try {
          close();
        } finally {
          Thread.currentThread().interrupt();
        }
        throw new java.io.InterruptedIOException("interrupted while mounting " + mountpoint
            + (settled ? "" : " (mount did not settle)"));
      }
    }

    /** Waits, ignoring interrupts, until the mount is up or its loop ended, or the deadline. */
    private boolean awaitSettled(long deadline) {
      while (System.nanoTime() < deadline) {
        try {
          if (fuse.initialized().await(20, TimeUnit.MILLISECONDS) || !loop.isAlive()) {
            return true;
          }
        } catch (InterruptedException again) {
          // keep waiting; the caller restores the interrupt
        }
      }
      return false;
    }

    @Override
    public Path mountpoint() {
      return mountpoint;
    }

    @Override
    public String layerId() {
      return layerId;
    }

    @Override
    public void close() throws IOException {
      synchronized (lock) {
        if (closed) {
          return;
        }
        closed = true;
      }
      LIVE.remove(this);
      List<IOException> errors = new ArrayList<>();
      try {
        if (Mounts.isMountPoint(mountpoint)) {
          try {
            Mounts.unmount(mountpoint, false);
          } catch (IOException busy) {
            log.info("mount busy, detaching lazily mountpoint={}: {}", mountpoint,
                busy.getMessage());
            Mounts.unmount(mountpoint, true);
          }
        }
      } catch (IOException e) {
        errors.add(e);
      }
      try {
        loop.join(10_000);
        if (loop.isAlive()) {
          errors.add(new IOException("FUSE loop of " + mountpoint + " did not end"));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      fuse.detach();
      if (!errors.isEmpty()) {
        IOException e = errors.get(0);
        errors.subList(1, errors.size()).forEach(e::addSuppressed);
        throw e;
      }
      log.info("unmounted layer={} mountpoint={}", layerId, mountpoint);
    }
  }
}
