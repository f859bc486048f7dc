package io.fastpull.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.blob.FetchOptions;
import io.fastpull.format.Privileges;
import io.fastpull.format.TreeSnapshot;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The oracle: a mounted layer equals the same layer tar extracted by GNU tar. */
class MountTest {
  @TempDir Path tmp;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void root() {
    Privileges.requireRoot();
  }

  @AfterEach
  void cleanup() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    String mounts = Files.readString(Path.of("/proc/self/mounts"));
    assertFalse(mounts.contains(tmp.toString()), "mounts left behind:\n" + mounts);
  }

  @Test
  void warmUpIsRepeatableAndLaterMountsServeTheLayer() throws Exception {
    LayerMounter.warmUp();
    LayerMounter.warmUp();
    byte[] tar = TestLayers.rich(4096);
    Path expected = Files.createDirectory(tmp.resolve("expected"));
    TestLayers.extract(tar, expected);
    LayerFixture layer = new LayerFixture(LayerFixture.writeBlob(tmp.resolve("blob"), tar, 4096),
        tmp.resolve("cache"), 64L << 20, FetchOptions.defaults());
    open.add(layer);
    Path mp = layer.mount(tmp.resolve("mnt"));
    assertArrayEquals(Files.readAllBytes(expected.resolve("data/f1")),
        Files.readAllBytes(mp.resolve("data/f1")));
  }

  @Test
  void theScratchWarmUpMountsReadsAndLeavesNothingBehind() throws Exception {
    Path scratch = tmp.resolve("warm-up");
    Files.createDirectories(scratch.resolve("mnt"));
    Files.writeString(scratch.resolve("left-by-a-crash"), "x");
    LayerMounter.warmUp(scratch, () -> false);
    LayerMounter.warmUp(scratch, () -> true);
    assertTrue(Files.notExists(scratch), "scratch removed");
    String mounts = Files.readString(Path.of("/proc/self/mounts"));
    assertTrue(!mounts.contains(scratch.toString()), mounts);
  }

  @ParameterizedTest
  @ValueSource(ints = {4096, 1 << 20})
  void mountedLayerEqualsTarExtraction(int chunk) throws Exception {
    byte[] tar = TestLayers.rich(chunk);
    Path expected = Files.createDirectory(tmp.resolve("expected"));
    TestLayers.extract(tar, expected);
    TestLayers.overlayWhiteouts(expected);

    LayerFixture layer = new LayerFixture(LayerFixture.writeBlob(tmp.resolve("blob"), tar, chunk),
        tmp.resolve("cache"), 64L << 20, FetchOptions.defaults());
    open.add(layer);
    Path mp = layer.mount(tmp.resolve("mnt"));

    List<String> diff = TreeSnapshot.of(expected, true, false).diff(TreeSnapshot.of(mp, true,
        false));
    assertEquals(List.of(), diff, String.join("\n", diff));
    Object f1 = Files.getAttribute(mp.resolve("data/f1"), "unix:ino", LinkOption.NOFOLLOW_LINKS);
    assertEquals(f1, Files.getAttribute(mp.resolve("data/hard"), "unix:ino",
        LinkOption.NOFOLLOW_LINKS));
    assertEquals(f1, Files.getAttribute(mp.resolve("long/hard2"), "unix:ino",
        LinkOption.NOFOLLOW_LINKS));
    assertArrayEquals(Files.readAllBytes(expected.resolve("data/f" + (3 * chunk + 5))),
        Files.readAllBytes(mp.resolve("data/f" + (3 * chunk + 5))));
    String mounts = Files.readString(Path.of("/proc/self/mounts"));
    assertTrue(mounts.contains("fastpull " + mp + " fuse.fastpull ro"), mounts);
  }
}
