package io.fastpull.daemon;

import static io.fastpull.daemon.Calls.assertCode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fastpull.format.Privileges;
import io.fastpull.proto.control.v1.LayerStatus;
import io.grpc.Status.Code;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * background_fetch on a real daemon and registry: a layer that fits in half the chunk cache is
 * fetched whole after its prefetch, before any read; one that does not is left to its reads.
 */
class BackgroundFillTest {
  @TempDir Path dir;
  private LazyDaemon d;

  @BeforeEach
  void root() {
    Privileges.requireRoot();
  }

  @AfterEach
  void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  private LazyImage mount(long cacheBytes) throws Exception {
    d = LazyDaemon.start(dir, b -> b.backgroundFetch(true).cacheSizeBytes(cacheBytes));
    LazyImage image = LazyImage.push(d.client, d.registry.host() + "/fastpull/fill:1", 4);
    assertCode(Code.ALREADY_EXISTS, () -> d.socket.calls.prepare("default/4/extract-4", "",
        image.criLabels()));
    return image;
  }

  @Test
  void aLayerThatFitsInHalfTheCacheIsFetchedWhole() throws Exception {
    LazyImage image = mount(64L << 20);
    String blob = image.layer().toString();
    LayerStatus s = d.awaitLayer(blob,
        l -> l.getBackgroundBytes() >= image.meta().chunkDataSize());
    assertEquals(image.meta().chunkDataSize(), s.getBackgroundBytes(), "each chunk once");
    assertEquals(List.of(), d.trace(blob), "nothing was read");
    Path mnt = Path.of(s.getMountpoint());
    for (String f : LazyImage.FILES) {
      assertArrayEquals(image.files().get(f), Files.readAllBytes(mnt.resolve(f)));
    }
    LayerStatus after = d.layer(blob);
    assertEquals(0, after.getOnDemandWaits(), after::toString);
    assertEquals(s.getFetchedBytes(), after.getFetchedBytes(), "reads fetched nothing more");
  }

  @Test
  void aLayerLargerThanHalfTheCacheIsNotFilled() throws Exception {
    // the layer holds about 200 KiB of file data: more than half of 256 KiB
    LazyImage image = mount(256L << 10);
    String blob = image.layer().toString();
    long table = image.storedBytes("bin/a");
    LayerStatus s = d.awaitLayer(blob, l -> !l.getPrefetchSource().equals("none")
        && l.getBackgroundBytes() >= table);
    // Whether to fill is decided when the prefetch is queued, but a fill only starts once reads
    // have been quiet for a second (FetchOptions.fillQuiet), so no short sleep could show its
    // absence. The barrier is a small layer mounted after this one: it is filled by the same
    // rule, a second after its own mount; once it is whole, a fill of the big layer, queued
    // earlier, would have started, and its bytes count when its first request starts.
    LazyImage small = LazyImage.push(d.client, d.registry.host() + "/fastpull/fill:small", 5,
        8 << 10);
    assertCode(Code.ALREADY_EXISTS, () -> d.socket.calls.prepare("default/5/extract-5", "",
        small.criLabels("sha256:" + "c".repeat(63) + "2")));
    d.awaitLayer(small.layer().toString(),
        l -> l.getBackgroundBytes() >= small.meta().chunkDataSize());
    assertEquals(table, d.layer(blob).getBackgroundBytes(), "only the prefetch table: " + s);
  }
}
