package io.fastpull.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.daemon.DaemonConfig;
import io.fastpull.registry.RegistryClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** One set of registry flags, with the daemon's defaults, on every command that reaches a registry. */
class RegistryOptionsTest {
  @TempDir Path tmp;

  @Test
  void everyRegistryCommandDefaultsToContainerdsHostsDir() {
    assertEquals(Optional.of(Path.of(RegistryClient.DEFAULT_HOSTS_DIR)),
        DaemonConfig.builder().build().hostsDir(), "the daemon's default is the shared one");
    CommandLine main = new CommandLine(Main.class);
    for (String command : List.of("convert", "pull", "run", "record")) {
      CommandLine sub = main.getSubcommands().get(command);
      for (String option : List.of("--hosts-dir", "--plain-http", "--docker-config")) {
        assertTrue(sub.getCommandSpec().findOption(option) != null, command + " " + option);
      }
      assertEquals(RegistryClient.DEFAULT_HOSTS_DIR,
          sub.getCommandSpec().findOption("--hosts-dir").defaultValue(), command);
    }
  }

  @Test
  void theDaemonsFlagsOverrideItsConfigOnlyWhenGiven() throws Exception {
    Path file = tmp.resolve("config.toml");
    Files.writeString(file, "hosts_dir = \"/srv/certs.d\"\ndocker_config = \"/srv/auth.json\"\n");
    DaemonCommand fromFile = parse("--config", file.toString());
    assertEquals(Optional.of(Path.of("/srv/certs.d")), fromFile.config().hostsDir(),
        "the mixin's default does not override the config file");
    assertEquals(Optional.of(Path.of("/srv/auth.json")), fromFile.config().dockerConfig());

    DaemonCommand flags = parse("--config", file.toString(), "--hosts-dir", "/etc/other",
        "--docker-config", "/etc/other.json", "--plain-http", "a:5000,b:5000");
    assertEquals(Optional.of(Path.of("/etc/other")), flags.config().hostsDir());
    assertEquals(Optional.of(Path.of("/etc/other.json")), flags.config().dockerConfig());
    assertEquals(List.of("a:5000", "b:5000"), flags.config().plainHttp());
  }

  private static DaemonCommand parse(String... args) {
    DaemonCommand d = new DaemonCommand();
    new CommandLine(d).parseArgs(args);
    return d;
  }
}
