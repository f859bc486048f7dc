package io.fastpull.install;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.daemon.DaemonConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** install / uninstall against sample containerd configs in temp dirs, with real containerd. */
class InstallTest {
  static final String DEBIAN = """
      version = 2

      [plugins]
        [plugins."io.containerd.grpc.v1.cri"]
          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "/usr/lib/cni"
            conf_dir = "/etc/cni/net.d"
        [plugins."io.containerd.internal.v1.opt"]
          path = "/var/lib/containerd/opt"
      """;

  static final String COMMENTED = "# my containerd settings, hand written\n"
      + "version = 2\n"
      + "root = \"/var/lib/containerd\"  # keep\n\n"
      + "[proxy_plugins]\n"
      + "  # a snapshotter somebody else runs\n"
      + "  [proxy_plugins.stargz]\n"
      + "    type = \"snapshot\"\n"
      + "    address = \"/run/containerd-stargz-grpc/containerd-stargz-grpc.sock\"\n\n"
      + "[plugins.\"io.containerd.grpc.v1.cri\".containerd]   # CRI\n"
      + "  # we like overlayfs\n"
      + "  snapshotter = \"overlayfs\" # default\n"
      + "  disabled_plugins = [\n    \"a\", # [not a table]\n    \"b\",\n  ]\n"
      + "[debug]\n  level = \"info\"";

  static final String OVERLAYFS = """
      version = 2
      [plugins."io.containerd.grpc.v1.cri".containerd]
        snapshotter = "overlayfs"
        disable_snapshot_annotations = true
      """;

  enum Sample { MISSING, EMPTY, DEBIAN, DEFAULT, COMMENTED, OVERLAYFS }

  @TempDir Path dir;
  Path dist;
  Layout layout;

  @BeforeEach
  void setUp() throws IOException {
    dist = Files.createDirectories(dir.resolve("dist"));
    Files.write(dist.resolve("fastpull.jar"), new byte[] {'P', 'K', 3, 4});
    Files.createDirectories(dist.resolve("lib"));
    Files.write(dist.resolve("lib/a.jar"), new byte[] {1});
    Files.write(dist.resolve("lib/b.jar"), new byte[] {2});
    layout = new Layout(Files.createDirectories(dir.resolve("prefix")),
        dir.resolve("etc/fastpull/config.toml"), dir.resolve("etc/containerd/config.toml"),
        Files.createDirectories(dir.resolve("units")), dir.resolve("run/fastpull.pid"),
        dir.resolve("fastpull.log"));
  }

  private Optional<byte[]> write(Sample s) throws IOException, InterruptedException {
    String text = switch (s) {
      case MISSING -> null;
      case EMPTY -> "";
      case DEBIAN -> DEBIAN;
      case DEFAULT -> run(List.of("containerd", "config", "default"));
      case COMMENTED -> COMMENTED;
      case OVERLAYFS -> OVERLAYFS;
    };
    if (text == null) {
      return Optional.empty();
    }
    Files.createDirectories(layout.containerdConfig().getParent());
    Files.writeString(layout.containerdConfig(), text);
    return Optional.of(text.getBytes(StandardCharsets.UTF_8));
  }

  private String install(boolean cri, boolean dryRun) throws IOException {
    StringWriter out = new StringWriter();
    new Installer(layout, cri, dryRun, false, Optional.of(dist),
        Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC),
        new PrintWriter(out)).run();
    return out.toString();
  }

  private String uninstall() throws IOException {
    StringWriter out = new StringWriter();
    new Uninstaller(layout, false, false, new PrintWriter(out)).run();
    return out.toString();
  }

  private Optional<byte[]> config() throws IOException {
    return Files.exists(layout.containerdConfig())
        ? Optional.of(Files.readAllBytes(layout.containerdConfig())) : Optional.empty();
  }

  @ParameterizedTest
  @EnumSource(Sample.class)
  void dryRunShowsTheEditAndChangesNothing(Sample s) throws Exception {
    Optional<byte[]> before = write(s);
    boolean cri = s == Sample.OVERLAYFS || s == Sample.COMMENTED || s == Sample.DEFAULT;
    String out = install(cri, true);
    assertTrue(out.contains("+[proxy_plugins.fastpull]") || out.contains("+  [proxy_plugins.fastpull]")
        || out.contains("+    [proxy_plugins.fastpull]"), out);
    assertTrue(out.contains("type = \"snapshot\""), out);
    assertTrue(out.contains("address = \"/run/fastpull/fastpull.sock\""), out);
    assertTrue(out.contains(layout.launcher().toString()), out);
    if (s == Sample.OVERLAYFS || s == Sample.COMMENTED) {
      assertTrue(out.contains("-  snapshotter = \"overlayfs\""), out);
      assertTrue(out.contains("+  snapshotter = \"fastpull\""), out);
    }
    if (s == Sample.MISSING || s == Sample.EMPTY) {
      assertTrue(out.contains("+version = 2"), out);
    }
    assertEquals(before.isPresent(), config().isPresent());
    if (before.isPresent()) {
      assertArrayEquals(before.get(), config().orElseThrow());
    }
    try (Stream<Path> files = Files.list(layout.prefix())) {
      assertEquals(0, files.count(), "nothing installed by a dry run");
    }
    assertFalse(Files.exists(layout.fastpullConfig()));
  }

  @ParameterizedTest
  @EnumSource(Sample.class)
  void installTwiceThenUninstallRestoresEveryByte(Sample s) throws Exception {
    Optional<byte[]> before = write(s);
    boolean cri = s != Sample.DEBIAN;
    install(cri, false);
    byte[] installed = Files.readAllBytes(layout.containerdConfig());
    Map<String, Object> toml = ConfigEditor.parse(layout.containerdConfig(),
        new String(installed, StandardCharsets.UTF_8));
    assertEquals("snapshot", ConfigEditor.lookup(toml, List.of("proxy_plugins", "fastpull", "type")));
    if (cri) {
      assertEquals("fastpull", ConfigEditor.lookup(toml, List.of("plugins",
          "io.containerd.grpc.v1.cri", "containerd", "snapshotter")));
      assertEquals(false, ConfigEditor.lookup(toml, List.of("plugins",
          "io.containerd.grpc.v1.cri", "containerd", "disable_snapshot_annotations")));
    }
    String dump = run(List.of("containerd", "--config", layout.containerdConfig().toString(),
        "config", "dump"));
    assertTrue(dump.contains("[proxy_plugins.fastpull]"), dump);
    assertTrue(Files.isExecutable(layout.launcher()));
    DaemonConfig.load(layout.fastpullConfig()); // the written defaults parse

    Map<Path, Long> mtimes = mtimes();
    String again = install(cri, false);
    assertTrue(again.contains("nothing to do"), again);
    assertArrayEquals(installed, Files.readAllBytes(layout.containerdConfig()));
    assertEquals(mtimes, mtimes(), "second install touches no file");

    uninstall();
    Optional<byte[]> after = config();
    assertEquals(before.isPresent(), after.isPresent());
    if (before.isPresent()) {
      assertEquals(new String(before.get(), StandardCharsets.UTF_8),
          new String(after.get(), StandardCharsets.UTF_8));
      assertArrayEquals(before.get(), after.get());
    }
    try (Stream<Path> files = Files.list(layout.prefix())) {
      assertEquals(List.of(), files.toList(), "prefix emptied");
    }
    assertFalse(Files.exists(layout.unit()));
    assertFalse(Files.exists(layout.fastpullConfig()));
    if (before.isPresent()) {
      try (Stream<Path> files = Files.list(layout.containerdConfig().getParent())) {
        assertEquals(1, files.count(), "backups removed");
      }
    } else {
      assertFalse(Files.exists(layout.containerdConfig().getParent()), "created dir removed");
    }
  }

  @ParameterizedTest
  @EnumSource(value = Sample.class, names = {"DEFAULT", "COMMENTED", "DEBIAN", "OVERLAYFS"})
  void uninstallAfterUserEditsRemovesOnlyOurLines(Sample s) throws Exception {
    byte[] before = write(s).orElseThrow();
    install(true, false);
    String edited = "# added by the user after install\n"
        + Files.readString(layout.containerdConfig());
    Files.writeString(layout.containerdConfig(), edited);
    String out = uninstall();
    assertEquals("# added by the user after install\n" + new String(before, StandardCharsets.UTF_8),
        Files.readString(layout.containerdConfig()), out);
  }

  @Test
  void unparseableConfigIsLeftAloneWithExitOne() throws Exception {
    String bad = "version = 2\n[proxy_plugins\n  type = \"x\"\n";
    Files.createDirectories(layout.containerdConfig().getParent());
    Files.writeString(layout.containerdConfig(), bad);
    InstallException e = assertThrows(InstallException.class, () -> install(false, false));
    assertEquals(InstallException.Code.UNPARSEABLE, e.code());
    // the same through the command line: exit 1 and one clear line
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "io.fastpull.cli.Main", "install",
        "--no-start", "--prefix", layout.prefix().toString(), "--containerd-config",
        layout.containerdConfig().toString(), "--config", layout.fastpullConfig().toString(),
        "--systemd-dir", layout.unitDir().toString(), "--from", dist.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(1, p.exitValue(), out);
    assertTrue(out.contains("is not valid TOML") && out.contains("left untouched"), out);
    assertEquals(bad, Files.readString(layout.containerdConfig()));
    try (Stream<Path> files = Files.list(layout.prefix())) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void versionOneConfigIsRefused() throws Exception {
    Files.createDirectories(layout.containerdConfig().getParent());
    String v1 = "[plugins.cri]\n  sandbox_image = \"pause\"\n";
    Files.writeString(layout.containerdConfig(), v1);
    InstallException e = assertThrows(InstallException.class, () -> install(true, false));
    assertEquals(InstallException.Code.UNSUPPORTED_VERSION, e.code());
    assertTrue(e.getMessage().contains("version = 2"), e.getMessage());
    assertEquals(v1, Files.readString(layout.containerdConfig()));
  }

  @Test
  void inlineTableIsRefusedNotDamaged() throws Exception {
    Files.createDirectories(layout.containerdConfig().getParent());
    String inline = "version = 2\n[proxy_plugins]\n  fastpull = { type = \"snapshot\", address = \"/x\" }\n";
    Files.writeString(layout.containerdConfig(), inline);
    InstallException e = assertThrows(InstallException.class, () -> install(false, false));
    assertEquals(InstallException.Code.NOT_EDITABLE, e.code());
    assertEquals(inline, Files.readString(layout.containerdConfig()));
  }

  @Test
  void defaultConfigUncommentedGivesTheDaemonDefaults() throws Exception {
    String text = new String(Payload.defaultConfig(), StandardCharsets.UTF_8);
    StringBuilder b = new StringBuilder();
    text.lines().filter(l -> l.startsWith("# ") && l.contains(" = "))
        .forEach(l -> b.append(l.substring(2)).append('\n'));
    Path f = dir.resolve("uncommented.toml");
    Files.writeString(f, b.toString());
    assertEquals(DaemonConfig.builder().build(), DaemonConfig.load(f));
  }

  /** The unit's Documentation= names a file install writes and uninstall removes. */
  @Test
  void unitDocumentationIsInstalledAndRemoved() throws Exception {
    String out = install(false, false);
    String unit = Files.readString(layout.unit());
    String doc = unit.lines().filter(l -> l.startsWith("Documentation=")).findFirst().orElseThrow();
    assertEquals("Documentation=file:" + layout.doc(), doc);
    assertTrue(Files.readString(layout.doc()).contains("## Known limits"), "the README");
    assertTrue(out.contains("write  " + layout.doc()), out);
    assertTrue(out.contains("I/O errors"), "install says what a restart does: " + out);
    uninstall();
    assertFalse(Files.exists(layout.doc()));
    assertFalse(Files.exists(layout.prefix().resolve("share")), "created dirs removed");
  }

  /**
   * containerd waits for the daemon's readiness (Type=notify), and nothing waits for the network:
   * the unit's ordering lets a node boot as fast as without fastpull.
   */
  @Test
  void unitReportsReadinessAndWaitsForNoNetwork() throws Exception {
    install(false, false);
    List<String> lines = Files.readAllLines(layout.unit());
    assertTrue(lines.contains("Type=notify"), lines::toString);
    assertTrue(lines.contains("NotifyAccess=main"), lines::toString);
    assertTrue(lines.contains("Before=containerd.service"), lines::toString);
    assertTrue(lines.contains("SuccessExitStatus=143"), "a SIGTERM'd JVM exits 143");
    assertEquals(List.of(), lines.stream().filter(l -> !l.startsWith("#"))
        .filter(l -> l.contains("network")).toList());
    String comments = String.join(" ", lines.stream().filter(l -> l.startsWith("#")).toList());
    assertFalse(comments.contains("keep running"), "containers do not survive a restart yet");
    assertTrue(comments.contains("I/O errors"), comments);
  }

  @Test
  void installedUnitPassesSystemdAnalyzeVerify() throws Exception {
    install(false, false);
    Path unit = layout.unit();
    String text = Files.readString(unit);
    assertTrue(text.contains("ExecStart=" + layout.launcher() + " daemon --config "
        + layout.fastpullConfig()), text);
    Process p = new ProcessBuilder("systemd-analyze", "verify", "--man=no", unit.toString())
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    List<String> about = out.lines().filter(l -> l.contains("fastpull.service")).toList();
    assertEquals(List.of(), about, out);
    assertEquals(0, p.exitValue(), out);
  }

  private Map<Path, Long> mtimes() throws IOException {
    Map<Path, Long> m = new java.util.TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        m.put(p, Files.getLastModifiedTime(p).toMillis());
      }
    }
    return m;
  }

  static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "timed out: " + cmd);
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, p.exitValue(), cmd + ": " + out);
      return out;
    } finally {
      p.destroyForcibly();
    }
  }
}
