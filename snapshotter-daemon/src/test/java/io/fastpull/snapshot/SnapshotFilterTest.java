package io.fastpull.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.meta.Kind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotFilterTest {
  private final Info layer = new Info("ns/7/sha256:ab", "ns/3/sha256:cd", Kind.COMMITTED,
      Instant.EPOCH, Instant.EPOCH,
      Map.of("containerd.io/snapshot.ref", "sha256:ab", "x.y", "z", "q", "has \"quote\""));

  private boolean matches(String... filters) throws SnapshotException {
    return SnapshotFilter.parse(List.of(filters)).matches(layer);
  }

  @Test
  void containerdsTargetLookup() throws SnapshotException {
    assertTrue(matches("labels.\"containerd.io/snapshot.ref\"==sha256:ab,parent==\"ns/3/sha256:cd\""));
    assertFalse(matches("labels.\"containerd.io/snapshot.ref\"==sha256:ab,parent==\"\""));
    assertTrue(matches(" labels.\"containerd.io/snapshot.ref\" == sha256:ab , kind == committed "));
  }

  @Test
  void operatorsAndAlternatives() throws SnapshotException {
    assertTrue(matches());
    assertTrue(matches("labels.x.y==z"));
    assertTrue(matches("labels.\"x.y\""));
    assertFalse(matches("labels.nope"));
    assertTrue(matches("labels.nope!=v"));
    assertFalse(matches("name!=ns/7/sha256:ab"));
    assertTrue(matches("name~=\"^ns/[0-9]+/\""));
    assertTrue(matches("labels.q==\"has \\\"quote\\\"\""));
    assertTrue(matches("kind==view", "kind==committed"));
    assertFalse(matches("kind==view", "kind==active"));
  }

  @Test
  void unsupportedSyntaxIsInvalidArgument() {
    for (String bad : List.of("", "size==1", "name=", "name==", "name==a b", "labels.\"open", "name~=\"(\"", "name==\"\\q\"", "name>=a", ",")) {
      SnapshotException e = assertThrows(SnapshotException.class, () -> matches(bad), bad);
      assertEquals(SnapshotException.Code.INVALID_ARGUMENT, e.code(), bad);
    }
  }
}
