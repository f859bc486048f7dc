package io.fastpull.convert;

import io.fastpull.progress.Progress;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Layers;
import io.fastpull.format.Privileges;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.RegistryException;
import io.fastpull.registry.testing.LocalRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image whose second layer hard-links a file of the first ({@code usr/bin/b} -> {@code
 * usr/bin/a}). OCI does not forbid it and {@code tar -x} of the layers in order makes the link, but
 * overlayfs cannot link across lower layers: containerd 1.6's overlayfs snapshotter fails to
 * unpack such an image ("failed to extract layer ...: link .../fs/usr/bin/a .../fs/usr/bin/b: no
 * such file or directory", checked on this machine; only the native snapshotter, which copies the
 * parent, unpacks it). The converter therefore refuses the layer rather than guess: one line that
 * names the layer, the entry and its target, and says how to fix the image; exit 1, nothing
 * tagged, no work files left.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CrossLayerHardlinkTest {
  @TempDir Path tmp;
  private LocalRegistry registry;
  private RegistryClient client;

  @BeforeEach
  void start() throws Exception {
    Privileges.requireRoot();
    registry = LocalRegistry.builder(tmp.resolve("registry")).start();
    client = RegistryClient.builder().plainHttp(registry.host()).build();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void aHardLinkToAFileOfALowerLayerFailsNamingTheLayerAndEntry() throws Exception {
    byte[] a = "hello from layer 1\n".getBytes(StandardCharsets.UTF_8);
    byte[] lower = Layers.tar(w -> {
      Layers.dir(w, "usr/", 0755);
      Layers.dir(w, "usr/bin/", 0755);
      Layers.file(w, "usr/bin/a", a);
    });
    byte[] upper = Layers.tar(w -> {
      Layers.dir(w, "usr/", 0755);
      Layers.dir(w, "usr/bin/", 0755);
      Layers.hardlink(w, "usr/bin/b", "usr/bin/a");
    });
    List<TestImages.Layer> layers = List.of(TestImages.gzip(lower), TestImages.gzip(upper));
    ImageReference src = ImageReference.parse(registry.host() + "/linked:1");
    TestImages.push(client, src, TestImages.config("amd64", layers), layers, Map.of());

    // The oracle: tar -x of the layers in order gives usr/bin/b with a's bytes.
    Path tree = Files.createDirectories(tmp.resolve("tree"));
    for (TestImages.Layer l : layers) {
      Path t = Files.write(Files.createTempFile(tmp, "layer", ".tar"), l.tar());
      TestImages.run(List.of("tar", "-x", "-f", t.toString(), "-C", tree.toString()), null);
    }
    assertArrayEquals(a, Files.readAllBytes(tree.resolve("usr/bin/b")));

    Path work = tmp.resolve("work");
    ConvertException e = assertThrows(ConvertException.class,
        () -> new Converter(client, Converter.Options.defaults(work), Progress.none(),
            Clock.systemUTC()).convert(src.toString(), registry.host() + "/linked:lazy"));
    assertEquals(ConvertException.Kind.BAD_IMAGE, e.kind());
    String m = e.getMessage();
    assertTrue(m.contains(layers.get(1).descriptor().digest().toString()), m);
    assertTrue(m.contains("usr/bin/b") && m.contains("usr/bin/a"), m);
    assertTrue(m.contains("lower layer") && m.contains("copy"), m);
    assertNotTagged(ImageReference.parse(registry.host() + "/linked:lazy"));
    try (Stream<Path> left = Files.list(work)) {
      assertEquals(List.of(), left.toList(), "work files left");
    }

    // The same through the command line: one error line on stderr, exit 1.
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-cp", System.getProperty("java.class.path"), "io.fastpull.cli.Main",
        "convert", "--plain-http", registry.host(), "--work-dir", work.toString(),
        src.toString(), registry.host() + "/linked:cli"));
    Path out = tmp.resolve("cli.out");
    Path err = tmp.resolve("cli.err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .start();
    try {
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "fastpull convert did not end in 120 s");
    } finally {
      p.destroyForcibly();
    }
    String stderr = Files.readString(err);
    System.out.println("CROSS-LAYER HARDLINK " + stderr);
    assertEquals(1, p.exitValue(), stderr);
    // Log lines (INFO "converting ...") may come first; the error is the one "fastpull:" line.
    List<String> errors = stderr.lines().filter(l -> l.startsWith("fastpull: ")).toList();
    assertEquals(1, errors.size(), stderr);
    assertTrue(errors.get(0).contains("usr/bin/b")
        && errors.get(0).contains(layers.get(1).descriptor().digest().toString()), stderr);
    assertNotTagged(ImageReference.parse(registry.host() + "/linked:cli"));
  }

  @Test
  void aHardLinkWithinOneLayerStillConverts() throws Exception {
    byte[] a = "linked within the layer\n".getBytes(StandardCharsets.UTF_8);
    byte[] only = Layers.tar(w -> {
      Layers.dir(w, "usr/", 0755);
      Layers.file(w, "usr/a", a);
      Layers.hardlink(w, "usr/b", "usr/a");
    });
    List<TestImages.Layer> layers = List.of(TestImages.gzip(only));
    ImageReference src = ImageReference.parse(registry.host() + "/same:1");
    TestImages.push(client, src, TestImages.config("amd64", layers), layers, Map.of());
    Converter.Result r = new Converter(client, Converter.Options.defaults(tmp.resolve("work")),
        Progress.none(), Clock.systemUTC()).convert(src.toString(), registry.host() + "/same:lazy");
    assertEquals(1, r.images().get(0).layers().size());
  }

  private void assertNotTagged(ImageReference r) {
    RegistryException e = assertThrows(RegistryException.class, () -> client.resolve(r));
    assertEquals(RegistryException.Kind.NOT_FOUND, e.kind());
  }
}
