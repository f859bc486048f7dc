package io.fastpull.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DaemonConfigTest {
  @TempDir Path dir;

  private DaemonConfig load(String toml) throws IOException {
    Path f = dir.resolve("c.toml");
    Files.writeString(f, toml);
    return DaemonConfig.load(f);
  }

  @Test
  void defaults() throws IOException {
    DaemonConfig c = load("");
    assertEquals(DaemonConfig.builder().build(), c);
    assertEquals(Path.of("/var/lib/fastpull"), c.root());
    assertEquals(Path.of("/run/fastpull/fastpull.sock"), c.socket());
    assertEquals(Optional.of(new InetSocketAddress("127.0.0.1", 9102)), c.metricsAddress());
    assertEquals(LogLevel.INFO, c.logLevel());
  }

  @Test
  void everyKey() throws IOException {
    DaemonConfig c = load(String.join("\n",
        "root = \"/srv/fp\"",
        "socket = \"/run/fp.sock\"",
        "socket_group = \"containerd\"",
        "cache_size = \"512MiB\"",
        "mount_timeout = \"1500ms\"",
        "shutdown_timeout = \"1m\"",
        "log_level = \"DEBUG\"",
        "metrics_address = \"0.0.0.0:9200\""));
    assertEquals(Path.of("/srv/fp"), c.root());
    assertEquals(Path.of("/run/fp.sock"), c.socket());
    assertEquals(Optional.of("containerd"), c.socketGroup());
    assertEquals(512L << 20, c.cacheSizeBytes());
    assertEquals(Duration.ofMillis(1500), c.mountTimeout());
    assertEquals(Duration.ofMinutes(1), c.shutdownTimeout());
    assertEquals(LogLevel.DEBUG, c.logLevel());
    assertEquals(9200, c.metricsAddress().orElseThrow().getPort());
    assertEquals(1024, load("cache_size = 1024").cacheSizeBytes());
    assertEquals(10L << 30, load("cache_size = \"10GiB\"").cacheSizeBytes());
    assertEquals(Optional.empty(), load("metrics_address = \"disabled\"").metricsAddress());
  }

  @Test
  void backgroundFetchIsOnUnlessTurnedOff() throws IOException {
    assertTrue(load("").backgroundFetch());
    assertFalse(load("background_fetch = false").backgroundFetch());
    IOException bad = assertThrows(IOException.class, () -> load("background_fetch = \"no\""));
    assertTrue(bad.getMessage().contains("background_fetch") && bad.getMessage().contains("no"),
        bad.getMessage());
  }

  @Test
  void badInputNamesFileKeyAndValue() {
    IOException unknown = assertThrows(IOException.class, () -> load("rooot = \"/x\""));
    assertTrue(unknown.getMessage().contains("rooot") && unknown.getMessage().contains("unknown key"), unknown.getMessage());
    IOException duration = assertThrows(IOException.class, () -> load("mount_timeout = \"soon\""));
    assertTrue(duration.getMessage().contains("mount_timeout") && duration.getMessage().contains("\"soon\""), duration.getMessage());
    IOException level = assertThrows(IOException.class, () -> load("log_level = \"loud\""));
    assertTrue(level.getMessage().contains("loud"), level.getMessage());
    IOException syntax = assertThrows(IOException.class, () -> load("root = "));
    assertTrue(syntax.getMessage().contains("not valid TOML"), syntax.getMessage());
    IOException type = assertThrows(IOException.class, () -> load("root = 3"));
    assertTrue(type.getMessage().contains("expected a string"), type.getMessage());
    IOException zero = assertThrows(IOException.class, () -> load("mount_timeout = \"0s\""));
    assertTrue(zero.getMessage().contains("mount_timeout"), zero.getMessage());
    IOException longSocket = assertThrows(IOException.class, () -> load("socket = \"/" + "x".repeat(120) + "\""));
    assertTrue(longSocket.getMessage().contains("107"), longSocket.getMessage());
  }

  @Test
  void plainHttpEntriesAreCheckedWhenRead() throws IOException {
    assertEquals(java.util.List.of("127.0.0.1", "http://127.0.0.1:5000"),
        load("plain_http = [\"127.0.0.1\", \"http://127.0.0.1:5000\"]").plainHttp());
    IOException bad = assertThrows(IOException.class, () -> load("plain_http = [\"127.0.0.1:5000/v2\"]"));
    assertTrue(bad.getMessage().contains("\"127.0.0.1:5000/v2\"") && bad.getMessage().contains("HOST:PORT"),
        bad.getMessage());
  }

  @Test
  void commandLineOverridesTheFile() throws IOException {
    Path f = dir.resolve("c.toml");
    Files.writeString(f, "root = \"/a\"\nsocket = \"/b.sock\"\n");
    DaemonConfig c = CommandLine.parse(new String[] {"--config", f.toString(), "--root", "/override"});
    assertEquals(Path.of("/override"), c.root());
    assertEquals(Path.of("/b.sock"), c.socket());
    assertThrows(IllegalArgumentException.class, () -> CommandLine.parse(new String[] {"--root"}));
  }

  @Test
  void everyKeyHasAFlagThatOverridesTheFile() throws IOException {
    Path f = dir.resolve("c.toml");
    Files.writeString(f, "cache_size = \"1GiB\"\nlog_format = \"json\"\nlazy = false\n");
    DaemonConfig c = CommandLine.parse(new String[] {"--config", f.toString(),
        "--cache-size=2GiB", "--lazy", "true", "--plain-http", "a:1,b", "--log-level", "DEBUG"});
    assertEquals(2L << 30, c.cacheSizeBytes());
    assertTrue(c.lazy());
    assertEquals(java.util.List.of("a:1", "b"), c.plainHttp());
    assertEquals(LogLevel.DEBUG, c.logLevel());
    assertEquals(LogFormat.JSON, c.logFormat(), "the file's value where no flag is given");
    for (ConfigKey k : ConfigKey.values()) {
      DaemonConfig.Builder b = DaemonConfig.builder();
      b.set(k, DaemonConfig.builder().build().text(k)); // every default reads back
      assertEquals(DaemonConfig.builder().build(), b.build(), k.key());
    }
  }

  @Test
  void printedTomlReadsBackToTheSameSettings() throws IOException {
    DaemonConfig c = DaemonConfig.builder().cacheSizeBytes(1536L << 20)
        .mountTimeout(Duration.ofMillis(1500)).socketGroup(Optional.of("containerd"))
        .plainHttp(java.util.List.of("127.0.0.1:5000", "[::1]:80")).metricsAddress(Optional.empty())
        .hostsDir(Optional.empty()).logFormat(LogFormat.JSON).build();
    assertEquals(c, load(c.toToml()));
    assertEquals(DaemonConfig.builder().build(), load(DaemonConfig.builder().build().toToml()));
  }

  @Test
  void badValuesListWhatIsAccepted() {
    IllegalArgumentException level = assertThrows(IllegalArgumentException.class,
        () -> DaemonConfig.builder().set(ConfigKey.LOG_LEVEL, "VERBOSE"));
    assertTrue(level.getMessage().contains("\"VERBOSE\" (use one of: trace, debug, info, warn,"
        + " error)"), level.getMessage());
    IllegalArgumentException format = assertThrows(IllegalArgumentException.class,
        () -> DaemonConfig.builder().set(ConfigKey.LOG_FORMAT, "xml"));
    assertTrue(format.getMessage().contains("text, json"), format.getMessage());
    IOException unknown = assertThrows(IOException.class, () -> load("cache-size = \"1GiB\""));
    assertTrue(unknown.getMessage().contains("did you mean cache_size?"), unknown.getMessage());
    IOException missing = assertThrows(IOException.class,
        () -> DaemonConfig.load(dir.resolve("nope.toml")));
    assertTrue(missing.getMessage().contains("does not exist"), missing.getMessage());
    IllegalArgumentException flag = assertThrows(IllegalArgumentException.class,
        () -> CommandLine.parse(new String[] {"--mount-timeout", "30sec"}));
    assertTrue(flag.getMessage().startsWith("--mount-timeout: duration \"30sec\" must look like 90s"),
        flag.getMessage());
  }
}
