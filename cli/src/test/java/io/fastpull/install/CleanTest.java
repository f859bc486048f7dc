package io.fastpull.install;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.daemon.Containerd;
import io.fastpull.daemon.DaemonConfig;
import io.fastpull.daemon.SnapshotterDaemon;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code clean} against a private containerd whose fastpull proxy plugin is a real daemon. */
class CleanTest {
  @TempDir Path dir;

  @Test
  void removesFastpullSnapshotsChildrenFirstAndTheCache() throws Exception {
    io.fastpull.format.Privileges.requireRoot();
    DaemonConfig config = DaemonConfig.builder().root(dir.resolve("fp"))
        .socket(dir.resolve("fp.sock")).metricsAddress(Optional.empty()).lazy(false)
        .shutdownTimeout(Duration.ofSeconds(2)).build();
    Path chunk = dir.resolve("fp/cache/ab").resolve("ab" + "0".repeat(62));
    try (SnapshotterDaemon daemon = SnapshotterDaemon.start(config)) {
      try (Containerd containerd = Containerd.start(dir.resolve("c"), config.socket())) {
        Path address = containerd.address;
        Ctr ctr = new Ctr(Optional.of(address));
        String sn = "--snapshotter";
        ctr.run(List.of("snapshots", sn, "fastpull", "prepare", "k1"));
        ctr.run(List.of("snapshots", sn, "fastpull", "commit", "c1", "k1"));
        ctr.run(List.of("snapshots", sn, "fastpull", "prepare", "k2", "c1"));
        ctr.run(List.of("-n", "other", "snapshots", sn, "fastpull", "prepare", "elsewhere"));
        Files.createDirectories(chunk.getParent());
        Files.write(chunk, new byte[] {1, 2, 3});

        String dry = clean(address, true);
        assertTrue(dry.contains("snapshot  default/k2") && dry.contains("snapshot  default/c1"),
            dry);
        assertTrue(dry.indexOf("default/k2") < dry.indexOf("default/c1"), "children first: " + dry);
        assertFalse(dry.contains("elsewhere"), dry);
        assertTrue(dry.contains("cache     1 chunks"), dry);
        assertTrue(Files.exists(chunk));
        assertEquals(3, ctr.run(List.of("snapshots", sn, "fastpull", "ls")).lines().count());

        clean(address, false);
        assertEquals(1, ctr.run(List.of("snapshots", sn, "fastpull", "ls")).lines().count(),
            "only the header is left");
        assertEquals(2, ctr.run(List.of("-n", "other", "snapshots", sn, "fastpull", "ls"))
            .lines().count(), "other namespaces untouched");
        assertFalse(Files.exists(chunk));
        assertTrue(clean(address, true).contains("nothing to clean"));
      }
    }
  }

  private String clean(Path address, boolean dryRun) throws IOException {
    StringWriter out = new StringWriter();
    new Cleaner(Optional.of(address), Optional.of("default"), dryRun,
        Optional.of(dir.resolve("fp/cache")), new PrintWriter(out)).run();
    return out.toString();
  }

}
