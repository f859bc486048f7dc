package io.fastpull.daemon;

import io.fastpull.proto.containerd.types.Mount;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** Performs containerd-style mounts with mount(8) and undoes them all on {@link #close()}. */
public final class HostMounts implements AutoCloseable {
  private final Deque<Path> mounted = new ArrayDeque<>();

  void mount(List<Mount> mounts, Path target) throws IOException, InterruptedException {
    if (mounts.size() != 1) {
      throw new IllegalArgumentException("expected one mount, got " + mounts);
    }
    Mount m = mounts.get(0);
    List<String> cmd = new ArrayList<>(List.of("mount", "-t", m.getType()));
    List<String> options = new ArrayList<>(m.getOptionsList());
    if (m.getType().equals("bind")) {
      cmd = new ArrayList<>(List.of("mount", "--rbind"));
      options.remove("rbind");
      // a read-only bind needs mount(8) to remount; it does so when given -o ro with --bind
    }
    if (!options.isEmpty()) {
      cmd.add("-o");
      cmd.add(String.join(",", options));
    }
    cmd.add(m.getSource());
    cmd.add(target.toString());
    run(cmd);
    mounted.push(target);
  }

  void unmount(Path target) throws IOException, InterruptedException {
    run(List.of("umount", target.toString()));
    mounted.remove(target);
  }

  /**
   * Lazily unmounts whatever is still mounted under {@code dir} (containers' rootfs left by a
   * failed run), except FUSE layers, which the daemon that owns them unmounts when closed.
   */
  public static void unmountAllUnder(Path dir) throws IOException, InterruptedException {
    unmountAllUnder(dir, false);
  }

  /** As {@link #unmountAllUnder(Path)}; with {@code includeFuse}, FUSE layers too. */
  public static void unmountAllUnder(Path dir, boolean includeFuse)
      throws IOException, InterruptedException {
    List<String> found = new ArrayList<>();
    for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
      String[] f = line.split(" ");
      String fstype = line.substring(line.indexOf(" - ") + 3).split(" ")[0];
      if (f[4].startsWith(dir.toString()) && (includeFuse || !fstype.startsWith("fuse"))) {
        found.add(f[4]);
      }
    }
    for (int i = found.size() - 1; i >= 0; i--) {
      run(List.of("umount", "-l", found.get(i)));
    }
  }

  static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException(cmd + " failed: " + out);
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    while (!mounted.isEmpty()) {
      Path p = mounted.pop();
      try {
        run(List.of("umount", "-l", p.toString()));
      } catch (IOException e) {
        failure = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = new IOException("interrupted unmounting " + p, e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
