package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.daemon.ConfigKey;
import io.fastpull.daemon.DaemonConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every config key has a flag, its default in {@code --help} and a row in the README. */
class DaemonConfigIT {
  @TempDir Path dir;

  @Test
  void helpShowsAFlagAndTheDefaultOfEveryKey() throws Exception {
    String help = fastpull("daemon", "--help").run().expectExit(0).stdout();
    String flat = help.replaceAll("\\s+", " ");
    DaemonConfig defaults = DaemonConfig.builder().build();
    for (ConfigKey k : ConfigKey.values()) {
      assertTrue(help.contains(k.flag() + "=") || help.contains(k.flag() + "[="),
          () -> k.flag() + " missing:\n" + help);
      String def = defaults.text(k);
      String shown = "(" + k.key() + "; default: " + (def.isEmpty() ? "none" : def) + ")";
      assertTrue(flat.contains(shown), () -> shown + " missing:\n" + help);
    }
    assertTrue(flat.contains("(log_level; default: info)"), help);
    assertTrue(flat.contains("(cache_size; default: 10GiB)"), help);
  }

  @Test
  void flagsOverrideTheFileWhichOverridesTheDefaults() throws Exception {
    Path cfg = dir.resolve("c.toml");
    Files.writeString(cfg, "cache_size = \"1GiB\"\nread_timeout = \"5s\"\nlazy = false\n");
    String out = fastpull("daemon", "--config", cfg.toString(), "--cache-size", "2GiB",
        "--lazy", "--plain-http", "a:5000,b", "--log-format", "json", "--print-config")
        .run().expectExit(0).stdout();
    assertTrue(out.contains("cache_size = \"2GiB\"\n"), out); // flag over file
    assertTrue(out.contains("read_timeout = \"5s\"\n"), out); // file over default
    assertTrue(out.contains("mount_timeout = \"30s\"\n"), out); // default
    assertTrue(out.contains("lazy = true\n"), out); // a flag alone is true
    assertTrue(out.contains("plain_http = [\"a:5000\", \"b\"]\n"), out);
    assertTrue(out.contains("log_format = \"json\"\n"), out);
    // what it prints is a config file that reads back to the same settings
    Path printed = dir.resolve("printed.toml");
    Files.writeString(printed, out);
    assertEquals(out, fastpull("daemon", "--config", printed.toString(), "--print-config")
        .run().expectExit(0).stdout());
  }

  @Test
  void readmeTableListsEveryKeyWithItsFlagAndDefault() throws Exception {
    String readme = Files.readString(LauncherRun.repoRoot().resolve("README.md"));
    DaemonConfig defaults = DaemonConfig.builder().build();
    for (ConfigKey k : ConfigKey.values()) {
      String def = defaults.text(k);
      Pattern row = Pattern.compile("(?m)^\\| `" + k.key() + "` \\| `" + k.flag() + "` \\| "
          + Pattern.quote(def.isEmpty() ? "none" : "`" + def + "`") + " \\| \\S.*\\|$");
      assertTrue(row.matcher(readme).find(), () -> "README row for " + k.key() + " (" + row + ")");
    }
  }
}
