package io.fastpull.fuse;

import static io.fastpull.format.Layers.bytes;
import static io.fastpull.format.Layers.dir;
import static io.fastpull.format.Layers.file;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.blob.FetchOptions;
import io.fastpull.format.Layers;
import io.fastpull.format.Privileges;
import io.fastpull.format.TreeSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three mounted layers stacked by a real overlayfs behave exactly like the same three layers
 * unpacked with tar (whiteouts in overlay form) and stacked the same way.
 */
class OverlayTest {
  @TempDir Path tmp;
  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void cleanup() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    String mounts = Files.readString(Path.of("/proc/self/mounts"));
    assertFalse(mounts.contains(tmp.toString()), "mounts left behind:\n" + mounts);
  }

  static List<byte[]> layers() throws Exception {
    byte[] l1 = Layers.tar(w -> {
      dir(w, "a/", 0755);
      file(w, "a/keep", bytes(10, 1, true));
      file(w, "a/del", bytes(20, 2, true));
      dir(w, "b/", 0755);
      file(w, "b/x", bytes(30, 3, true));
      dir(w, "c/", 0755);
      file(w, "c/old", bytes(40, 4, true));
      dir(w, "c/olddir/", 0755);
      file(w, "c/olddir/deep", bytes(41, 41, true));
      file(w, "replace", bytes(50, 5, false));
      dir(w, "gone/", 0755);
      file(w, "gone/inner", bytes(60, 6, true));
    });
    byte[] l2 = Layers.tar(w -> {
      dir(w, "a/", 0755);
      file(w, "a/.wh.del", new byte[0]);
      file(w, "replace", bytes(70_000, 7, false));
      dir(w, "c/", 0711);
      file(w, "c/.wh..wh..opq", new byte[0]);
      file(w, "c/new", bytes(80, 8, true));
      dir(w, "b/", 0755);
      file(w, "b/y", bytes(90, 9, true));
      file(w, ".wh.gone", new byte[0]);
    });
    byte[] l3 = Layers.tar(w -> {
      dir(w, "b/", 0755);
      file(w, "b/.wh.x", new byte[0]);
      dir(w, "d/", 0755);
      file(w, "d/new", bytes(100, 10, true));
      file(w, "gone", bytes(11, 11, true)); // a file where layer 2 deleted a directory
    });
    return List.of(l1, l2, l3);
  }

  @Test
  void stackedMountsBehaveLikeStackedExtractions() throws Exception {
    Privileges.requireRoot();
    List<byte[]> tars = layers();
    List<String> fuseDirs = new ArrayList<>();
    List<String> tarDirs = new ArrayList<>();
    for (int i = 0; i < tars.size(); i++) {
      Path x = Files.createDirectory(tmp.resolve("x" + i));
      TestLayers.extract(tars.get(i), x);
      TestLayers.overlayWhiteouts(x);
      tarDirs.add(0, x.toString());
      LayerFixture f = new LayerFixture(LayerFixture.writeBlob(tmp.resolve("blob" + i),
          tars.get(i), 4096), tmp.resolve("cache" + i), 1 << 20, FetchOptions.defaults());
      open.add(f);
      fuseDirs.add(0, f.mount(tmp.resolve("m" + i)).toString());
    }
    Path fromFuse = overlay("fuse", fuseDirs);
    Path fromTar = overlay("tar", tarDirs);

    assertFalse(Files.exists(fromFuse.resolve("a/del")));
    assertTrue(Files.exists(fromFuse.resolve("a/keep")));
    assertFalse(Files.exists(fromFuse.resolve("b/x")));
    assertFalse(Files.exists(fromFuse.resolve("c/old")), "opaque dir hides the lower one");
    assertTrue(Files.isRegularFile(fromFuse.resolve("gone")));
    assertArrayEquals(bytes(70_000, 7, false), Files.readAllBytes(fromFuse.resolve("replace")));
    TreeSnapshot expected = TreeSnapshot.of(fromTar, true, false);
    TreeSnapshot actual = TreeSnapshot.of(fromFuse, true, false);
    // No layer names "./": tar leaves the extraction directory's time at "now", the converter
    // gives an implicit root time 0. Everything below the root must agree.
    expected.entries().remove(".");
    actual.entries().remove(".");
    List<String> diff = expected.diff(actual);
    assertEquals(List.of(), diff, String.join("\n", diff));
  }

  /** A read-only overlay of {@code lowers} (uppermost first), unmounted after the test. */
  private Path overlay(String name, List<String> lowers) throws Exception {
    Path target = Files.createDirectory(tmp.resolve("ovl-" + name));
    TestLayers.run("mount", "-t", "overlay", "overlay", "-o",
        "ro,lowerdir=" + String.join(":", lowers), target.toString());
    open.add(() -> TestLayers.run("umount", target.toString()));
    return target;
  }
}
