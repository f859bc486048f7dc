package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Layers;
import io.fastpull.pull.Node;
import io.fastpull.pull.TestImage;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.RegistryClient;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code fastpull pull} through the real launcher, into a real containerd and fastpull daemon. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PullCommandIT {
  private static final Pattern LAYER_LINE = Pattern.compile(
      "layer ([0-9a-f]{12}) [0-9.]+ (B|KiB|MiB), [0-9.]+ s(, [0-9.]+ (B|KiB|MiB|GiB)/s)?: "
          + "(mounted lazily|downloaded and unpacked|already present) \\(layer (\\d)\\)");

  @TempDir static Path tmp;
  private Node node;
  private RegistryClient client;

  @BeforeAll
  void start() throws Exception {
    Node.requireRoot();
    node = Node.start(tmp);
    client = RegistryClient.builder().plainHttp(node.proxy.host()).build();
  }

  @AfterAll
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void aPipeGetsOneLinePerLayerWithWhatWasDone() throws Exception {
    // Layers of their own for each image, so no snapshot of one stands in for the other's.
    TestImage.Pushed ordinary = TestImage.pushOrdinary(client, node.proxy.host()
        + "/plain/app:1", List.of(
            Layers.tar(w -> Layers.file(w, "data/a", Layers.bytes(3 << 20, 41, false))),
            Layers.tar(w -> Layers.file(w, "data/b", Layers.bytes(1 << 20, 42, false)))));
    TestImage.Pushed lazy = TestImage.pushLazy(client, node.proxy.host() + "/lazy/app:1",
        TestImage.tars(4 << 20, 3), -1);
    LauncherRun.Result full = pull(ordinary.ref());
    assertLines(full.stdout(), ordinary.layers(), "downloaded and unpacked");
    for (String l : full.stdout().lines().filter(l -> l.startsWith("layer ")).toList()) {
      assertTrue(l.contains("/s: "), "a downloaded layer has a rate: " + l);
    }
    LauncherRun.Result mounted = pull(lazy.ref());
    assertLines(mounted.stdout(), lazy.layers(), "mounted lazily");
    System.out.println("PULL\n" + full.stdout() + mounted.stdout());
  }

  private LauncherRun.Result pull(String ref) throws Exception {
    LauncherRun.Result r = fastpull("pull", "--address", node.address.toString(), "-n", "pullit",
        "--plain-http", node.proxy.host(), ref).run().expectExit(0);
    assertFalse(r.stdout().contains("\r"), "nothing redrawn on a pipe: " + r.stdout());
    return r;
  }

  private static void assertLines(String stdout, List<Descriptor> layers, String what) {
    List<String> lines = stdout.lines().filter(l -> l.startsWith("layer ")).toList();
    assertEquals(layers.size(), lines.size(), stdout);
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = LAYER_LINE.matcher(lines.get(i));
      assertTrue(m.matches(), lines.get(i));
      assertEquals(layers.get(i).digest().hex().substring(0, 12), m.group(1), lines.get(i));
      assertEquals(what, m.group(5), lines.get(i));
      assertEquals(Integer.toString(i), m.group(6), lines.get(i));
    }
  }
}
