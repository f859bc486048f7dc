package io.fastpull.cli;

import static io.fastpull.cli.LauncherRun.fastpull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Layers;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.testing.LocalRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What commands print is meant for people: library log lines stay out of it unless asked for
 * ({@code --verbose}, {@code --log-level}), so no step shows twice.
 */
class CommandOutputIT {
  /** A logger line as slf4j-simple or a default logback setup would print it. */
  private static final Pattern LOGGER_LINE =
      Pattern.compile("(?m)^(\\[[^\\]]+\\] )?(TRACE|DEBUG|INFO|WARN|ERROR)\\b|\\] INFO ");

  @TempDir Path dir;

  @Test
  void convertPrintsEachStepOnceAndNoLoggerLines() throws Exception {
    try (LocalRegistry registry = LocalRegistry.builder(dir.resolve("registry")).start();
        RegistryClient client = RegistryClient.builder().plainHttp(registry.host()).build()) {
      byte[] tar = Layers.tar(w -> {
        Layers.dir(w, "./etc/", 0755);
        Layers.file(w, "./etc/hello", "hello\n".getBytes(StandardCharsets.UTF_8));
      });
      ImageReference src = ImageReference.parse(registry.host() + "/app:1");
      client.pushBlob(src, tar);
      byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
          + "\"layers\",\"diff_ids\":[\"" + Digest.sha256(tar) + "\"]}}")
          .getBytes(StandardCharsets.UTF_8);
      client.pushBlob(src, config);
      byte[] manifest = new Manifest(2, MediaTypes.OCI_MANIFEST, null,
          Descriptor.of(MediaTypes.OCI_CONFIG, config),
          List.of(Descriptor.of(MediaTypes.OCI_LAYER_TAR, tar)), null, null).toJson();
      client.pushManifest(src, MediaTypes.OCI_MANIFEST, manifest);

      LauncherRun.Result r = fastpull("convert", "--plain-http", registry.host(),
          "--work-dir", dir.resolve("work").toString(), src.toString(),
          registry.host() + "/app:1-lazy").run().expectExit(0);
      String all = r.stdout() + r.stderr();
      assertFalse(LOGGER_LINE.matcher(all).find(), "logger lines in:\n" + all);
      assertFalse(all.contains("converting source="), all);
      List<String> lines = all.lines().filter(l -> !l.isBlank()).toList();
      assertEquals(lines.size(), lines.stream().distinct().count(), "a line twice:\n" + all);
      assertTrue(r.stdout().contains("app:1-lazy"), all);

      // asked for, the libraries' lines are shown, with time, level and logger
      LauncherRun.Result v = fastpull("convert", "--verbose", "--plain-http", registry.host(),
          "--work-dir", dir.resolve("work").toString(), src.toString(),
          registry.host() + "/app:1-lazy2").run().expectExit(0);
      assertTrue(Pattern.compile("(?m)^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Converter: converting source=")
          .matcher(v.stderr()).find(), v.stderr());
    }
  }

  @Test
  void aBadLogLevelListsTheValidOnes() throws Exception {
    LauncherRun.Result r = fastpull("layer", "inspect", "--log-level", "VERBOSE", "x.blob")
        .run();
    assertEquals(2, r.exitCode(), r.stderr());
    assertTrue(r.stderr().contains("trace, debug, info, warn, error"), r.stderr());
  }
}
