package io.fastpull.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fastpull.pull.Node;
import io.fastpull.pull.Puller;
import io.fastpull.pull.SnapshotterAddress;
import io.fastpull.pull.TestImage;
import io.fastpull.registry.RegistryClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fastpull run} end to end on a real node (registry, fastpull daemon, containerd, runc):
 * lazy and normal modes, phases from log lines and from a readiness URL, the report as a table
 * and as JSON. ctr starts the containers (nerdctl is not installed on the test machines; PATH is
 * passed without it anyway).
 */
class RunTest {
  @TempDir static Path dir;
  private static Node node;
  private static RegistryClient client;
  private static String lazyRef;

  /** The per-layer stats line of a lazy run. */
  private static final String BYTES = "\\d+(\\.\\d)? ([KMG]i)?B";
  private static final String LAYER_LINE = "layer \\d [0-9a-f]{12}: fetched " + BYTES + " of "
      + BYTES + " stored \\(\\d+\\.\\d%\\) in \\d+ requests, \\d+ cached reads; "
      + "prefetch \\w+ \\d+ chunks, \\d+ hits; "
      + "\\d+ on-demand waits, \\d+\\.\\d ms; background " + BYTES;

  @BeforeAll
  static void start() throws Exception {
    Node.requireRoot();
    node = Node.start(dir);
    client = RegistryClient.builder().plainHttp(node.proxy.host()).build();
    lazyRef = TestImage.pushLazy(client, node.proxy.host() + "/fastpull/run:1",
        TestImage.tars(4 << 20, 21), -1).ref();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  private static Runner.Options options(String image, String ns, List<String> command,
      List<PhaseRule> phases) {
    return new Runner.Options(image, command, Runner.Mode.LAZY,
        Puller.Options.defaults().withAddress(node.address).withNamespace(ns),
        List.of(node.proxy.host()), Optional.empty(), true, Optional.empty(),
        Duration.ofSeconds(30), false, phases, Optional.of(Duration.ofSeconds(90)),
        daemonSocket(), Optional.empty());
  }

  private static Path daemonSocket() {
    return node.dir.resolve("d/run/fastpull.sock");
  }

  private static Report run(Runner.Options o, StringWriter out) throws Exception {
    return new Runner(client, o, new PrintWriter(out, true), Clock.systemUTC(), "/usr/bin:/bin")
        .run();
  }

  @Test
  void lazyRunStreamsStampedOutputAndReportsPhases() throws Exception {
    StringWriter out = new StringWriter();
    Report report = run(options(lazyRef, "run", List.of("/bin/sh", "-c",
            "echo hello; cat /etc/greeting /models/config.json; exit 3"),
        List.of(PhaseRule.parse("started=hello"), PhaseRule.parse("greeted=lazy layer$"),
            PhaseRule.parse("never=no such line"))), out);
    String text = out.toString();
    assertEquals(3, report.exitCode(), text);
    assertTrue(text.lines().anyMatch(l -> l.matches("\\[ *\\d+\\.\\d{3}s\\] hello")), text);
    // a first pull in this namespace: every layer is mounted lazily and none is downloaded
    assertEquals(3, text.lines().filter(l -> l.matches(
        "\\[ *\\d+\\.\\d{3}s\\] fastpull: layer \\d [0-9a-f]{12} lazy \\(0 bytes fetched\\)")).count(),
        text);
    List<String> names = report.phases().stream().map(Report.Timing::name).toList();
    assertEquals(List.of("pull", "start", "first-log", "started", "greeted", "exit"), names,
        text);
    for (int i = 1; i < report.phases().size(); i++) {
      assertTrue(report.phases().get(i).seconds() >= report.phases().get(i - 1).seconds());
    }
    assertTrue(text.contains("phase") && text.contains("greeted"), text);
    assertEquals(3L, report.pull().get("lazyLayers"));

    Path json = dir.resolve("out/report.json");
    report.writeJson(json);
    JsonNode tree = new ObjectMapper().readTree(json.toFile());
    assertEquals(3, tree.get("exitCode").asInt());
    assertEquals("LAZY", tree.get("mode").asText());
    List<String> jsonNames = new ArrayList<>();
    tree.get("phases").forEach(p -> {
      jsonNames.add(p.get("name").asText());
      assertTrue(p.get("seconds").isNumber());
    });
    assertEquals(names, jsonNames);
    try (var files = Files.list(json.getParent())) {
      assertEquals(List.of(json), files.toList(), "no temp file left behind");
    }
    System.out.println("sample fastpull run output:\n" + text);
  }

  @Test
  void commandLineRunPrintsTheTableAndWritesJson() throws Exception {
    Path json = dir.resolve("cli/run.json");
    Node.CtrResult r = Node.fastpull("run", "--address", node.address.toString(), "-n", "cli",
        "--snapshotter-socket", daemonSocket().toString(),
        "--plain-http", node.proxy.host(), "--phase", "started=hello", "--output-json",
        json.toString(), lazyRef, "--", "/bin/sh", "-c", "echo hello; exit 4");
    assertEquals(4, r.exit(), r.output());
    System.out.println("sample fastpull run command line output:\n" + r.output());
    assertTrue(r.output().lines().anyMatch(l -> l.matches("started +\\d+\\.\\d{3}")),
        r.output());
    JsonNode tree = new ObjectMapper().readTree(json.toFile());
    assertEquals(4, tree.get("exitCode").asInt());
    List<String> names = new ArrayList<>();
    tree.get("phases").forEach(p -> names.add(p.get("name").asText()));
    assertTrue(names.containsAll(List.of("pull", "start", "first-log", "started", "exit")),
        names::toString);
    assertEquals(3, tree.get("layers").size(), tree::toString);
    assertTrue(tree.get("layers").get(0).get("blobDigest").asText().startsWith("sha256:"),
        tree::toString);
    assertEquals(3, r.output().lines().filter(l -> l.matches(LAYER_LINE)).count(), r.output());
  }

  /**
   * Without --snapshotter-socket a lazy run asks the daemon containerd uses (its proxy plugin's
   * address), not a fixed default path where no daemon of this node listens.
   */
  @Test
  void commandLineRunFindsTheDaemonContainerdUses() throws Exception {
    assertEquals(Optional.of(daemonSocket()),
        SnapshotterAddress.find(node.address, "fastpull"));
    assertEquals(Optional.empty(), SnapshotterAddress.find(node.address, "overlayfs"));
    assertEquals(Optional.empty(), SnapshotterAddress.find(node.address, "nosuch"));
    assertEquals(Optional.empty(),
        SnapshotterAddress.find(dir.resolve("nowhere.sock"), "fastpull"));

    Node.CtrResult r = Node.fastpull("run", "--address", node.address.toString(), "-n",
        "cli-found", "--plain-http", node.proxy.host(), "--timeout", "1m", lazyRef, "--",
        "/bin/cat", "/etc/greeting");
    assertEquals(0, r.exit(), r.output());
    assertFalse(r.output().contains("layer stats unavailable"), r.output());
    assertEquals(3, r.output().lines().filter(l -> l.matches(LAYER_LINE)).count(), r.output());
  }

  @Test
  void lazyRunPrintsWhatEachLazyLayerFetched() throws Exception {
    StringWriter out = new StringWriter();
    Report report = run(options(lazyRef, "stats", List.of("/bin/cat", "/etc/greeting",
        "/models/config.json"), List.of()), out);
    String text = out.toString();
    assertEquals(0, report.exitCode(), text);
    assertEquals(null, report.layersUnavailable(), text);
    assertEquals(List.of(0, 1, 2), report.layers().stream().map(Report.Layer::index).toList(),
        text);
    List<String> lines = text.lines().filter(l -> l.matches(LAYER_LINE)).toList();
    assertEquals(3, lines.size(), text);
    for (Report.Layer l : report.layers()) {
      assertTrue(l.activity().storedBytes() > 0 && l.activity().chunkCount() > 0, l::toString);
    }
    long reads = report.layers().stream().mapToLong(l -> l.activity().fetchedBytes()
        + l.activity().cacheHits() + l.activity().memoryHits() + l.activity().prefetchHits())
        .sum();
    assertTrue(reads > 0, text);

    Path json = dir.resolve("stats/report.json");
    report.writeJson(json);
    JsonNode layer = new ObjectMapper().readTree(json.toFile()).get("layers").get(1);
    assertEquals(1, layer.get("index").asInt());
    assertEquals(report.layers().get(1).activity().blobDigest(), layer.get("blobDigest").asText());
    for (String f : List.of("storedBytes", "fetchedBytes", "sourceRequests", "prefetchSource",
        "prefetchChunks", "prefetchHits", "onDemandWaits", "onDemandWaitMicros",
        "backgroundBytes")) {
      assertTrue(layer.has(f), () -> f + " missing in " + layer);
    }
    System.out.println("sample lazy run layer stats:\n" + report.layerTable());
  }

  @Test
  void unreachableOrOlderDaemonGivesOneLineAndTheRunGoesOn() throws Exception {
    Runner.Options base = options(lazyRef, "nostats", List.of("/bin/cat", "/etc/greeting"),
        List.of());
    Path nowhere = dir.resolve("nowhere.sock");
    StringWriter out = new StringWriter();
    Report report = run(base.withSnapshotterSocket(nowhere), out);
    assertEquals(0, report.exitCode(), out::toString);
    assertEquals(List.of(), report.layers());
    List<String> said = out.toString().lines()
        .filter(l -> l.startsWith("layer stats unavailable: ")).toList();
    assertEquals(1, said.size(), out::toString);
    assertTrue(said.get(0).contains(nowhere.toString()), said::toString);

    // containerd's socket answers gRPC but has no fastpull control service, like an old daemon
    StringWriter old = new StringWriter();
    Report oldReport = run(base.withSnapshotterSocket(node.address), old);
    assertEquals(0, oldReport.exitCode(), old::toString);
    assertTrue(oldReport.layersUnavailable().contains("no control service"),
        oldReport::layersUnavailable);
    assertTrue(old.toString().contains("layer stats unavailable: "), old::toString);
    JsonNode tree = new ObjectMapper().valueToTree(oldReport);
    assertEquals(oldReport.layersUnavailable(), tree.get("layersUnavailable").asText());
  }

  @Test
  void readinessUrlMarksReadyAndCanStopTheServer() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Runner.Options base = options(lazyRef, "ready", List.of("/bin/sh", "-c",
        "echo serving; exec httpd -f -p 127.0.0.1:" + port + " -h /etc"), List.of());
    Runner.Options o = new Runner.Options(base.image(), base.command(), base.mode(), base.pull(),
        base.plainHttp(), base.hostsDir(), true,
        Optional.of(URI.create("http://127.0.0.1:" + port + "/greeting")),
        Duration.ofSeconds(60), true, List.of(), Optional.of(Duration.ofSeconds(90)),
        base.snapshotterSocket(), Optional.empty());
    StringWriter out = new StringWriter();
    Report report = run(o, out);
    assertTrue(report.seconds("ready").isPresent(), out::toString);
    assertTrue(report.seconds("exit").isPresent(), out::toString);
    assertTrue(report.seconds("ready").get() >= report.seconds("start").get());
  }

  @Test
  void normalModePullsFullyIntoOverlayfs() throws Exception {
    String ref = TestImage.pushOrdinary(client, node.proxy.host() + "/fastpull/normal:1",
        TestImage.tars(1 << 20, 23)).ref();
    Runner.Options base = options(ref, "normal", List.of("/bin/cat", "/etc/greeting"),
        List.of());
    Runner.Options o = new Runner.Options(base.image(), base.command(), Runner.Mode.NORMAL,
        base.pull(), base.plainHttp(), base.hostsDir(), true, Optional.empty(),
        Duration.ofSeconds(30), false, List.of(), base.timeout(), base.snapshotterSocket(),
        Optional.empty());
    StringWriter out = new StringWriter();
    Report report = run(o, out);
    assertEquals(0, report.exitCode(), out::toString);
    assertEquals("overlayfs", report.snapshotter());
    assertTrue(out.toString().contains("] hello from a lazy layer"), out::toString);
    assertEquals(List.of(), report.layers());
    assertTrue(!out.toString().contains("layer stats"), out::toString);
  }

  @Test
  void badOptionsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> PhaseRule.parse("noequals"));
    assertThrows(IllegalArgumentException.class, () -> PhaseRule.parse("x=("));
    assertThrows(IllegalArgumentException.class,
        () -> options(lazyRef, "x", List.of(), List.of(PhaseRule.parse("exit=bye"))));
  }
}
