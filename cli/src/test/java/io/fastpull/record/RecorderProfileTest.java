package io.fastpull.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fastpull.format.LazyLayer;
import io.fastpull.profile.StartupProfile;
import io.fastpull.pull.LayerResult;
import io.fastpull.pull.Puller;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.MediaTypes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How traces become a profile: image layer order, empty traces and repeated layers left out. */
class RecorderProfileTest {
  private static Descriptor layer(int n) {
    return Descriptor.of(LazyLayer.MEDIA_TYPE, Digest.sha256(new byte[] {(byte) n}), 100 + n);
  }

  @Test
  void layersWithReadsInImageOrderEachOnce() throws Exception {
    List<Descriptor> layers = List.of(layer(0), layer(1), layer(2), layer(1));
    List<LayerResult> results = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      results.add(new LayerResult(i, layers.get(i), "chain" + i, LayerResult.Outcome.LAZY, 0,
          Duration.ZERO));
    }
    Descriptor manifest = Descriptor.of(MediaTypes.OCI_MANIFEST, new byte[] {9});
    Puller.Result pulled = new Puller.Result("r/x:1", manifest, manifest, "chain3", results,
        Duration.ZERO);
    // traces come back in any order; layer 0 read nothing
    StartupProfile p = Recorder.profile(pulled, Map.of(
        layers.get(2).digest().toString(), new int[] {4, 0},
        layers.get(0).digest().toString(), new int[0],
        layers.get(1).digest().toString(), new int[] {7, 3, 5}));
    assertEquals(manifest.digest().toString(), p.image());
    assertEquals(List.of(layers.get(1).digest().toString(), layers.get(2).digest().toString()),
        p.layers().stream().map(StartupProfile.Layer::digest).toList());
    assertArrayEquals(new int[] {7, 3, 5}, p.layers().get(0).chunks(), "order of first read");
    assertArrayEquals(new int[] {7, 3, 5}, StartupProfile.fromJson(p.toJson())
        .chunksOf(layers.get(1).digest().toString()).orElseThrow());
  }
}
