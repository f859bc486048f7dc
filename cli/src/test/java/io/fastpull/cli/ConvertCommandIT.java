package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Layers;
import io.fastpull.format.Privileges;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.RegistryException;
import io.fastpull.registry.testing.LocalRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fastpull convert} through the real launcher against the real registry: what it prints to
 * a pipe, how it checks the target first, where its work files go and what an interrupt leaves.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ConvertCommandIT {
  private static final Pattern LAYER_LINE = Pattern.compile(
      "layer ([0-9a-f]{12}) [0-9.]+ (B|KiB|MiB), [0-9.]+ s(, [0-9.]+ (B|KiB|MiB|GiB)/s)?: "
          + "-> sha256:[0-9a-f]{64} .*");

  @TempDir static Path tmp;
  private LocalRegistry registry;
  private RegistryClient client;
  private List<Descriptor> smallLayers;
  private boolean bigPushed;

  @BeforeAll
  void start() throws Exception {
    registry = LocalRegistry.builder(tmp.resolve("registry")).start();
    client = RegistryClient.builder().plainHttp(registry.host()).build();
    smallLayers = push("src:v1", List.of(
        Layers.tar(w -> Layers.file(w, "./etc/greeting", "hello\n".getBytes(StandardCharsets.UTF_8))),
        Layers.tar(w -> Layers.file(w, "./data/blob", Layers.bytes(3 << 20, 7, true)))));
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  private String ref(String repoAndTag) {
    return registry.host() + "/" + repoAndTag;
  }

  @Test
  void aPipeGetsOneLinePerLayerWithSizeTimeAndRate() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("work-piped"));
    LauncherRun.Result r = fastpull("convert", "--plain-http", registry.host(), "--work-dir",
        work.toString(), ref("src:v1"), ref("piped:v1")).run().expectExit(0);
    System.out.println("PIPED\n" + r.stdout());
    assertFalse(r.stdout().contains("\r"), "nothing redrawn on a pipe: " + r.stdout());
    List<String> layerLines = r.stdout().lines().filter(l -> l.startsWith("layer ")).toList();
    assertEquals(2, layerLines.size(), r.stdout());
    for (String l : layerLines) {
      assertTrue(LAYER_LINE.matcher(l).matches(), l);
    }
    assertEquals(smallLayers.stream().map(d -> d.digest().hex().substring(0, 12)).sorted()
            .toList(),
        layerLines.stream().map(l -> l.substring(6, 18)).sorted().toList());
    assertEquals(List.of(), list(work), "the run's work dir is gone");

    // Again into the same repository: the lazy blobs are there, asked for by HEAD, not pushed.
    long puts = registry.countRequests("PUT", "/v2/piped/blobs/");
    LauncherRun.Result again = fastpull("convert", "--plain-http", registry.host(), ref("src:v1"),
        ref("piped:v2")).run().expectExit(0);
    assertEquals(2, again.stdout().lines().filter(l -> l.startsWith("layer ")
        && l.endsWith("already in the target")).count(), again.stdout());
    assertEquals(puts, registry.countRequests("PUT", "/v2/piped/blobs/"));
  }

  @Test
  void aTargetWithoutTagIsLatestAndSaysSo() throws Exception {
    LauncherRun.Result r = fastpull("convert", "--plain-http", registry.host(), ref("src:v1"),
        ref("notag")).run().expectExit(0);
    assertTrue(r.stdout().contains("note: target " + ref("notag") + " has no tag; tagging "
        + ref("notag:latest")), r.stdout());
    client.resolve(ImageReference.parse(ref("notag:latest")));
    LauncherRun.Result tagged = fastpull("convert", "--plain-http", registry.host(),
        ref("src:v1"), ref("notag:v2")).run().expectExit(0);
    assertFalse(tagged.stdout().contains("has no tag"), tagged.stdout());
  }

  @Test
  void aTargetThatRefusesPushesFailsBeforeAnyLayerIsRead() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("work-refused"));
    try (LocalRegistry locked = LocalRegistry.builder(tmp.resolve("locked"))
        .basicAuth("alice", "secret").start()) {
      Path noCredentials = Files.writeString(tmp.resolve("empty-config.json"), "{}");
      LauncherRun.Result r = fastpull("convert", "--plain-http",
          registry.host() + "," + locked.host(), "--docker-config", noCredentials.toString(),
          "--work-dir", work.toString(), ref("src:v1"), locked.host() + "/dst:v1")
          .run().expectExit(1);
      System.out.println("REFUSED " + r.stderr());
      assertTrue(r.stderr().contains("cannot push to target " + locked.host() + "/dst:v1"),
          r.stderr());
      assertEquals(0, locked.countRequests("PUT", "/"), locked.accessLog().toString());
      // A plain-HTTP registry not named plain HTTP: the TLS handshake fails, at once too.
      LauncherRun.Result tls = fastpull("convert", "--plain-http", registry.host(),
          "--work-dir", work.toString(), ref("src:v1"), locked.host() + "/dst:v1")
          .run().expectExit(1);
      System.out.println("NOT-TLS " + tls.stderr());
      assertTrue(tls.stderr().contains("cannot push to target " + locked.host() + "/dst:v1"),
          tls.stderr());
    }
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      String closed = "127.0.0.1:" + s.getLocalPort();
      s.close();
      LauncherRun.Result r = fastpull("convert", "--plain-http", registry.host() + "," + closed,
          "--work-dir", work.toString(), ref("src:v1"), closed + "/dst:v1").run().expectExit(1);
      System.out.println("UNREACHABLE " + r.stderr());
      assertTrue(r.stderr().contains("cannot push to target " + closed + "/dst:v1"), r.stderr());
    }
    for (Descriptor l : smallLayers) {
      assertEquals(0, registry.countRequests("GET", l.digest().toString()),
          "no layer of the source was read: " + l.digest());
    }
    assertEquals(List.of(), list(work));
  }

  @Test
  void workDirsOfRunsThatDiedAreRemovedByTheNextRun() throws Exception {
    Path work = Files.createDirectories(tmp.resolve("work-stale"));
    Process gone = new ProcessBuilder("true").start();
    assertTrue(gone.waitFor(30, TimeUnit.SECONDS));
    Path stale = Files.createDirectories(work.resolve("fastpull-convert-" + gone.pid() + "-1"));
    Files.write(stale.resolve("0123456789ab.42.rafs"), new byte[1 << 20]);
    fastpull("convert", "--plain-http", registry.host(), "--work-dir", work.toString(),
        ref("src:v1"), ref("stale:v1")).run().expectExit(0);
    assertEquals(List.of(), list(work));
  }

  @Test
  void theHostsDirDefaultsToContainerds() throws Exception {
    Privileges.requireRoot();
    // A hosts.toml for this test's own registry only (its port is free-picked): containerd's
    // default directory is shared, so nothing else is touched, and it is removed afterwards.
    Path certsD = Path.of(RegistryClient.DEFAULT_HOSTS_DIR);
    List<Path> created = new ArrayList<>();
    for (Path p : List.of(certsD.getParent(), certsD, certsD.resolve(registry.host()))) {
      if (!Files.isDirectory(p)) {
        Files.createDirectory(p);
        created.add(0, p);
      }
    }
    Path toml = certsD.resolve(registry.host()).resolve("hosts.toml");
    Files.writeString(toml, "server = \"http://" + registry.host() + "\"\n");
    try {
      LauncherRun.Result r = fastpull("convert", ref("src:v1"), ref("hosts:v1")).run();
      r.expectExit(0);
      client.resolve(ImageReference.parse(ref("hosts:v1")));
    } finally {
      Files.deleteIfExists(toml);
      for (Path p : created) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Test
  void aTerminalGetsAStatusLineWithBytesRateAndEta() throws Exception {
    pushBig();
    // script(1) gives the launcher a terminal for stdin and stdout; its output is the session's.
    Path work = Files.createDirectories(tmp.resolve("work-tty"));
    String command = String.join(" ", LauncherRun.launcher().toString(), "convert",
        "--plain-http", registry.host(), "--work-dir", work.toString(), ref("big:v1"),
        ref("tty:v1"));
    Process p = new ProcessBuilder("script", "-qefc", command, "/dev/null")
        .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    ByteArrayOutputStream session = new ByteArrayOutputStream();
    Thread drain = new Thread(() -> {
      try {
        p.getInputStream().transferTo(session);
      } catch (IOException e) {
        // the session ended
      }
    });
    drain.start();
    try {
      assertTrue(p.waitFor(5, TimeUnit.MINUTES), "convert on a terminal did not end");
    } finally {
      p.destroyForcibly();
    }
    drain.join(10_000);
    String text = session.toString(StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), text);
    assertTrue(Pattern.compile("\\r\u001b\\[K0/1 layer, 1 running: [0-9.]+ (KiB|MiB) of 48\\.0 "
        + "MiB, [0-9.]+ (KiB|MiB|GiB)/s, ETA [0-9]+s").matcher(text).find(), text);
    assertTrue(text.contains("tagged " + ref("tty:v1")), text);
    assertEquals(List.of(), list(work));
  }

  private synchronized void pushBig() throws IOException {
    if (!bigPushed) {
      // One incompressible layer: its lazy blob is as big.
      push("big:v1", List.of(Layers.tar(w -> Layers.file(w, "./model.bin",
          Layers.bytes(48 << 20, 11, false)))));
      bigPushed = true;
    }
  }

  @Test
  void sigtermDuringThePushTagsNothingAndRemovesTheWorkDir() throws Exception {
    pushBig(); // its lazy blob goes up at 4 MiB/s through the proxy
    Path work = Files.createDirectories(tmp.resolve("work-sigterm"));
    try (ThrottleProxy slow = ThrottleProxy.start(registry.host(), 4 << 20)) {
      String target = slow.host() + "/sigterm:v1";
      List<String> cmd = new ArrayList<>(List.of(LauncherRun.launcher().toString(), "convert",
          "--plain-http", registry.host() + "," + slow.host(), "--work-dir", work.toString(),
          ref("big:v1"), target));
      Path out = tmp.resolve("sigterm.out");
      Path err = tmp.resolve("sigterm.err");
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
          .start();
      try {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        // Pushing: several MiB of the lazy blob went through the proxy.
        while (slow.sentBytes() < (8 << 20)) {
          assertTrue(p.isAlive(), () -> "convert ended before its push: " + read(out) + read(err));
          assertTrue(System.nanoTime() < deadline, "no push within 3 minutes");
          Thread.sleep(50);
        }
        assertEquals(1, list(work).size(), "the run's work dir, with its blob: " + list(work));
        p.destroy(); // SIGTERM, to the JVM itself: the launcher execs java
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "convert did not stop after SIGTERM");
      } finally {
        p.destroyForcibly();
      }
      System.out.println("SIGTERM exit " + p.exitValue() + "\n" + read(out) + read(err));
      assertNotEquals(0, p.exitValue());
      assertEquals(143, p.exitValue(), "128 + SIGTERM");
      RegistryException e = assertThrows(RegistryException.class,
          () -> client.resolve(ImageReference.parse(ref("sigterm:v1"))));
      assertEquals(RegistryException.Kind.NOT_FOUND, e.kind());
      assertEquals(0, registry.countRequests("PUT", "/v2/sigterm/manifests/"),
          "no manifest, no tag");
      assertEquals(List.of(), list(work), "no work dir left");
      assertTrue(read(err).contains("convert stopped before it finished: nothing was tagged"),
          read(err));
    }
  }

  /** Pushes gzip layers of {@code tars}, a config and a manifest tagged {@code repoAndTag}. */
  private List<Descriptor> push(String repoAndTag, List<byte[]> tars) throws IOException {
    ImageReference ref = ImageReference.parse(ref(repoAndTag));
    List<Descriptor> layers = new ArrayList<>();
    StringBuilder diffIds = new StringBuilder();
    for (byte[] tar : tars) {
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
        z.write(tar);
      }
      byte[] blob = gz.toByteArray();
      client.pushBlob(ref, blob);
      layers.add(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, blob));
      diffIds.append(diffIds.length() == 0 ? "" : ",").append('"').append(Digest.sha256(tar))
          .append('"');
    }
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        + "\"diff_ids\":[" + diffIds + "]}}").getBytes(StandardCharsets.UTF_8);
    client.pushBlob(ref, config);
    byte[] manifest = new Manifest(2, MediaTypes.OCI_MANIFEST, null,
        Descriptor.of(MediaTypes.OCI_CONFIG, config), layers, null, null).toJson();
    client.pushManifest(ref, MediaTypes.OCI_MANIFEST, manifest);
    return layers;
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }
}
