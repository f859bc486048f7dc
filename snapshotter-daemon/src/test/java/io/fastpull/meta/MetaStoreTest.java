package io.fastpull.meta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetaStoreTest {
  @TempDir Path dir;
  private final Instant t = Instant.parse("2026-01-02T03:04:05.123456Z");

  @Test
  void uncommittedTransactionsRollBack() throws Exception {
    try (MetaStore store = MetaStore.open(dir.resolve("m.db"))) {
      try (Transaction tx = store.begin(MetaStore.Mode.WRITE)) {
        tx.insert("a", Kind.ACTIVE, 0, Map.of("k", "v"), t);
      }
      try (Transaction tx = store.begin(MetaStore.Mode.READ)) {
        assertTrue(tx.get("a").isEmpty());
        assertThrows(IllegalStateException.class, () -> tx.delete(1));
      }
    }
  }

  @Test
  void recordsSurviveReopenWithMicrosecondsAndIdsAreNeverReused() throws Exception {
    long first;
    try (MetaStore store = MetaStore.open(dir.resolve("m.db"))) {
      try (Transaction tx = store.begin(MetaStore.Mode.WRITE)) {
        SnapshotRecord base = tx.insert("base", Kind.ACTIVE, 0, Map.of(), t);
        tx.commitAs(base.id(), "base-c", Map.of("l", "1"), 10, 2, t.plusNanos(1000));
        SnapshotRecord child = tx.insert("child", Kind.VIEW, base.id(), Map.of(), t);
        first = child.id();
        assertEquals(List.of(base.id()), tx.ancestors(child.id()));
        assertTrue(tx.hasChildren(base.id()));
        tx.delete(child.id());
        tx.commit();
      }
    }
    try (MetaStore store = MetaStore.open(dir.resolve("m.db"))) {
      try (Transaction tx = store.begin(MetaStore.Mode.WRITE)) {
        SnapshotRecord base = tx.get("base-c").orElseThrow();
        assertEquals(Kind.COMMITTED, base.kind());
        assertEquals(Map.of("l", "1"), base.labels());
        assertEquals(t.plusNanos(1000), base.created());
        assertEquals(10, base.size());
        SnapshotRecord again = tx.insert("again", Kind.ACTIVE, base.id(), Map.of(), t);
        assertTrue(again.id() > first, "ids are not reused");
        assertEquals("base-c", again.parentKey());
        tx.commit();
      }
    }
  }

  @Test
  void useAfterCloseIsMisuse() throws Exception {
    MetaStore store = MetaStore.open(dir.resolve("m.db"));
    store.close();
    store.close();
    assertThrows(IllegalStateException.class, () -> store.begin(MetaStore.Mode.READ));
  }
}
