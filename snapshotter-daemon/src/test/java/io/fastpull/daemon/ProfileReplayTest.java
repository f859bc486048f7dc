package io.fastpull.daemon;

import static io.fastpull.daemon.Calls.assertCode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.Privileges;
import io.fastpull.profile.StartupProfile;
import io.fastpull.proto.control.v1.LayerStatus;
import io.grpc.Status.Code;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Startup profiles replayed at mount, all parts real: a lazy image and a profile referrer in a
 * real registry, the daemon mounting the layer with FUSE from containerd-style CRI labels. The
 * profile's chunks (not the blob's table) are fetched before any read; a broken profile falls
 * back to the table and the mount still serves.
 */
class ProfileReplayTest {
  @TempDir Path dir;
  private LazyDaemon d;

  @BeforeEach
  void start() throws Exception {
    Privileges.requireRoot();
    d = LazyDaemon.start(dir);
  }

  @AfterEach
  void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  @Test
  void theProfilesChunksAreFetchedBeforeAnyRead() throws Exception {
    LazyImage image = LazyImage.push(d.client, d.registry.host() + "/fastpull/profiled:1", 2);
    String blob = image.layer().toString();
    // c before b, as the container read them; 9999 is past the end and skipped
    int[] recorded = {image.chunkOf("bin/c"), 9999, image.chunkOf("bin/b")};
    StartupProfile profile = new StartupProfile(StartupProfile.SCHEMA_VERSION,
        image.manifest().digest().toString(), List.of(new StartupProfile.Layer(blob, recorded)));
    d.client.pushReferrer(image.ref(), image.manifest(), StartupProfile.ARTIFACT_TYPE,
        StartupProfile.MEDIA_TYPE, profile.toJson(), Map.of());

    assertCode(Code.ALREADY_EXISTS, () -> d.socket.calls.prepare("default/2/extract-2", "",
        image.criLabels()));
    long wanted = image.storedBytes("bin/c", "bin/b");
    LayerStatus s = d.awaitLayer(blob, l -> l.getPrefetchSource().equals("profile")
        && l.getBackgroundBytes() >= wanted);
    assertEquals(2, s.getPrefetchChunks());
    assertEquals(wanted, s.getBackgroundBytes(), "the table's bin/a was not fetched");
    assertEquals(List.of(), d.trace(blob), "nothing was read");

    Path mnt = Path.of(s.getMountpoint());
    assertArrayEquals(image.files().get("bin/c"), Files.readAllBytes(mnt.resolve("bin/c")));
    assertArrayEquals(image.files().get("bin/b"), Files.readAllBytes(mnt.resolve("bin/b")));
    LayerStatus after = d.layer(blob);
    assertEquals(0, after.getOnDemandWaits(), after::toString);
    assertTrue(after.getPrefetchHits() + after.getMemoryHits() + after.getCacheHits() >= 2,
        after::toString);
    assertEquals(s.getFetchedBytes(), after.getFetchedBytes(), "reads fetched nothing more");
  }

  @Test
  void aBrokenProfileFallsBackToTheTable() throws Exception {
    LazyImage image = LazyImage.push(d.client, d.registry.host() + "/fastpull/broken:1", 3);
    d.client.pushReferrer(image.ref(), image.manifest(), StartupProfile.ARTIFACT_TYPE,
        StartupProfile.MEDIA_TYPE, "{\"schemaVersion\":1,\"layers\":[".getBytes(
            StandardCharsets.UTF_8), Map.of());

    assertCode(Code.ALREADY_EXISTS, () -> d.socket.calls.prepare("default/3/extract-3", "",
        image.criLabels()));
    String blob = image.layer().toString();
    long table = image.storedBytes("bin/a");
    LayerStatus s = d.awaitLayer(blob, l -> !l.getPrefetchSource().equals("none")
        && l.getBackgroundBytes() >= table);
    assertEquals("table", s.getPrefetchSource());
    assertEquals(1, s.getPrefetchChunks());
    assertEquals(table, s.getBackgroundBytes());
    Path mnt = Path.of(s.getMountpoint());
    for (String f : LazyImage.FILES) {
      assertArrayEquals(image.files().get(f), Files.readAllBytes(mnt.resolve(f)));
    }
    assertEquals(0, d.layer(blob).getFailures());
  }
}
