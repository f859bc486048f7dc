package io.fastpull.daemon;

import io.fastpull.snapshot.LayerMounter;
import io.fastpull.snapshot.MountedLayer;
import io.fastpull.snapshot.RemoteLayerPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link LayerMounter} standing in for the FUSE one: a "remote layer" is a directory under
 * {@code sources/} named by the layer digest (':' replaced by '-'); mounting is a real read-only
 * bind mount of it. Declines layers it has no directory for; {@link #failing} makes every mount
 * fail.
 */
final class FakeLayerMounter implements LayerMounter {
  private final Path sources;
  private final boolean failing;
  private final String keyLabel;
  final Set<Path> mounts = ConcurrentHashMap.newKeySet();

  FakeLayerMounter(Path sources, boolean failing, String keyLabel) {
    this.sources = sources;
    this.failing = failing;
    this.keyLabel = keyLabel;
  }

  static FakeLayerMounter over(Path sources) {
    return new FakeLayerMounter(sources, false, RemoteLayerPolicy.LAYER_DIGEST_LABEL);
  }

  static FakeLayerMounter failing(Path sources) {
    return new FakeLayerMounter(sources, true, RemoteLayerPolicy.LAYER_DIGEST_LABEL);
  }

  /** Finds layers by their target (chain id) instead: for clients that send no layer digest. */
  static FakeLayerMounter byTarget(Path sources) {
    return new FakeLayerMounter(sources, false, RemoteLayerPolicy.TARGET_LABEL);
  }

  Path source(String digest) {
    return sources.resolve(digest.replace(':', '-'));
  }

  @Override
  public Optional<MountedLayer> mount(String key, Map<String, String> labels, Path mountpoint)
      throws IOException {
    String digest = labels.getOrDefault(keyLabel, "");
    Path source = source(digest);
    if (digest.isEmpty() || !Files.isDirectory(source)) {
      return Optional.empty();
    }
    if (failing) {
      throw new IOException("fake mounter: failing on purpose for " + digest);
    }
    run(List.of("mount", "--bind", "-o", "ro", source.toString(), mountpoint.toString()));
    mounts.add(mountpoint);
    return Optional.of(new MountedLayer(mountpoint, Map.of("containerd.io/snapshot/remote", "true")));
  }

  @Override
  public boolean check(Path mountpoint) {
    return mounts.contains(mountpoint);
  }

  @Override
  public void unmount(Path mountpoint) throws IOException {
    if (mounts.remove(mountpoint)) {
      run(List.of("umount", mountpoint.toString()));
    }
  }

  private static void run(List<String> cmd) throws IOException {
    try {
      HostMounts.run(cmd);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + cmd, e);
    }
  }
}
