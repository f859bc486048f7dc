package io.fastpull.meta;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One serialized unit of work on the {@link MetaStore}. Not thread-safe: use from the thread that
 * began it. {@link #close()} rolls back unless {@link #commit()} ran, and releases the store.
 * Every method throws {@link IOException} when SQLite fails, and {@link IllegalStateException}
 * when a READ transaction tries to write or the transaction has ended.
 */
public final class Transaction implements AutoCloseable {
  private static final String SELECT =
      "SELECT s.id, s.key, s.kind, s.parent_id, p.key, s.created_us, s.updated_us, s.size,"
          + " s.inodes, s.remote FROM snapshots s LEFT JOIN snapshots p ON p.id = s.parent_id";

  private final Connection connection;
  private final MetaStore.Mode mode;
  private final ReentrantLock lock;
  private boolean ended;

  Transaction(Connection connection, MetaStore.Mode mode, ReentrantLock lock) {
    this.connection = connection;
    this.mode = mode;
    this.lock = lock;
  }

  /** The record stored under {@code key}, or empty. */
  public Optional<SnapshotRecord> get(String key) throws IOException {
    List<SnapshotRecord> found = query(SELECT + " WHERE s.key = ?", key);
    return found.stream().findFirst();
  }

  /** The record with {@code id}, or empty. */
  public Optional<SnapshotRecord> get(long id) throws IOException {
    List<SnapshotRecord> found = query(SELECT + " WHERE s.id = ?", id);
    return found.stream().findFirst();
  }

  /** All records, in id order. */
  public List<SnapshotRecord> list() throws IOException {
    return query(SELECT + " ORDER BY s.id");
  }

  /**
   * Committed records with label {@code name} set to {@code value} whose parent is {@code
   * parentKey} ("" for none), in id order, whatever their keys.
   */
  public List<SnapshotRecord> committedWithLabel(String name, String value, String parentKey)
      throws IOException {
    return query(SELECT + " WHERE s.kind = ? AND COALESCE(p.key, '') = ? AND EXISTS"
        + " (SELECT 1 FROM labels l WHERE l.snapshot_id = s.id AND l.name = ? AND l.value = ?)"
        + " ORDER BY s.id", Kind.COMMITTED.name(), parentKey, name, value);
  }

  /** Ids from {@code id}'s parent up to the root: nearest parent first; empty for none. */
  public List<Long> ancestors(long id) throws IOException {
    List<Long> chain = new ArrayList<>();
    long current = id;
    // bounded by the number of rows: parents always have smaller ids than their children
    while (true) {
      long parent = singleLong("SELECT parent_id FROM snapshots WHERE id = ?", current);
      if (parent == 0) {
        return chain;
      }
      chain.add(parent);
      current = parent;
    }
  }

  /** Whether any snapshot names {@code id} as its parent. */
  public boolean hasChildren(long id) throws IOException {
    return singleLong("SELECT COUNT(*) FROM snapshots WHERE parent_id = ?", id) > 0;
  }

  /**
   * Inserts a new record and returns it with its fresh id.
   *
   * @param parentId the parent's id or 0
   */
  public SnapshotRecord insert(
      String key, Kind kind, long parentId, Map<String, String> labels, Instant now)
      throws IOException {
    checkWritable();
    long micros = micros(now);
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO snapshots(key, kind, parent_id, created_us, updated_us)"
                + " VALUES (?, ?, ?, ?, ?)")) {
      ps.setString(1, key);
      ps.setString(2, kind.name());
      if (parentId == 0) {
        ps.setNull(3, java.sql.Types.INTEGER);
      } else {
        ps.setLong(3, parentId);
      }
      ps.setLong(4, micros);
      ps.setLong(5, micros);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw failure("insert " + key, e);
    }
    long id = singleLong("SELECT id FROM snapshots WHERE key = ?", key);
    writeLabels(id, labels);
    return get(id).orElseThrow();
  }

  /**
   * Turns record {@code id} into a committed snapshot named {@code name}: kind, labels (replaced),
   * usage, and both timestamps set to {@code now}.
   */
  public void commitAs(
      long id, String name, Map<String, String> labels, long size, long inodes, Instant now)
      throws IOException {
    checkWritable();
    long micros = micros(now);
    update(
        "UPDATE snapshots SET key = ?, kind = ?, created_us = ?, updated_us = ?, size = ?,"
            + " inodes = ? WHERE id = ?",
        name,
        Kind.COMMITTED.name(),
        micros,
        micros,
        size,
        inodes,
        id);
    writeLabels(id, labels);
  }

  /** Replaces all labels of {@code id} and sets its updated time. */
  public void setLabels(long id, Map<String, String> labels, Instant now) throws IOException {
    checkWritable();
    update("UPDATE snapshots SET updated_us = ? WHERE id = ?", micros(now), id);
    writeLabels(id, labels);
  }

  /** Marks {@code id} as backed by a remote (lazy) mount. */
  public void setRemote(long id, boolean remote) throws IOException {
    checkWritable();
    update("UPDATE snapshots SET remote = ? WHERE id = ?", remote ? 1 : 0, id);
  }

  /** Deletes record {@code id} and its labels. */
  public void delete(long id) throws IOException {
    checkWritable();
    update("DELETE FROM snapshots WHERE id = ?", id);
  }

  /** Makes the changes durable and ends the transaction. */
  public void commit() throws IOException {
    checkOpen();
    try {
      connection.commit();
    } catch (SQLException e) {
      throw failure("commit", e);
    } finally {
      end();
    }
  }

  @Override
  public void close() throws IOException {
    if (ended) {
      return;
    }
    try {
      connection.rollback();
    } catch (SQLException e) {
      throw failure("rollback", e);
    } finally {
      end();
    }
  }

  private void end() {
    ended = true;
    lock.unlock();
  }

  private void writeLabels(long id, Map<String, String> labels) throws IOException {
    update("DELETE FROM labels WHERE snapshot_id = ?", id);
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO labels(snapshot_id, name, value) VALUES (?, ?, ?)")) {
      for (Map.Entry<String, String> e : labels.entrySet()) {
        ps.setLong(1, id);
        ps.setString(2, e.getKey());
        ps.setString(3, e.getValue());
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw failure("write labels of snapshot id " + id, e);
    }
  }

  private Map<String, String> readLabels(long id) throws IOException {
    Map<String, String> labels = new HashMap<>();
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT name, value FROM labels WHERE snapshot_id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          labels.put(rs.getString(1), rs.getString(2));
        }
      }
    } catch (SQLException e) {
      throw failure("read labels of snapshot id " + id, e);
    }
    return labels;
  }

  private List<SnapshotRecord> query(String sql, Object... args) throws IOException {
    checkOpen();
    List<SnapshotRecord> rows = new ArrayList<>();
    try (PreparedStatement ps = prepare(sql, args);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        long id = rs.getLong(1);
        String parentKey = rs.getString(5);
        rows.add(
            new SnapshotRecord(
                id,
                rs.getString(2),
                Kind.valueOf(rs.getString(3)),
                rs.getLong(4),
                parentKey == null ? "" : parentKey,
                Map.of(),
                instant(rs.getLong(6)),
                instant(rs.getLong(7)),
                rs.getLong(8),
                rs.getLong(9),
                rs.getInt(10) != 0));
      }
    } catch (SQLException e) {
      throw failure(sql, e);
    }
    List<SnapshotRecord> withLabels = new ArrayList<>(rows.size());
    for (SnapshotRecord r : rows) {
      withLabels.add(
          new SnapshotRecord(
              r.id(),
              r.key(),
              r.kind(),
              r.parentId(),
              r.parentKey(),
              readLabels(r.id()),
              r.created(),
              r.updated(),
              r.size(),
              r.inodes(),
              r.remote()));
    }
    return withLabels;
  }

  private long singleLong(String sql, Object... args) throws IOException {
    checkOpen();
    try (PreparedStatement ps = prepare(sql, args);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    } catch (SQLException e) {
      throw failure(sql, e);
    }
  }

  private void update(String sql, Object... args) throws IOException {
    checkOpen();
    try (PreparedStatement ps = prepare(sql, args)) {
      ps.executeUpdate();
    } catch (SQLException e) {
      throw failure(sql, e);
    }
  }

  private PreparedStatement prepare(String sql, Object... args) throws SQLException {
    PreparedStatement ps = connection.prepareStatement(sql);
    for (int i = 0; i < args.length; i++) {
      ps.setObject(i + 1, args[i]);
    }
    return ps;
  }

  private void checkOpen() {
    if (ended) {
      throw new IllegalStateException("transaction has ended");
    }
  }

  private void checkWritable() {
    checkOpen();
    if (mode != MetaStore.Mode.WRITE) {
      throw new IllegalStateException("write in a READ transaction");
    }
  }

  private static IOException failure(String what, SQLException e) {
    return new IOException("metadata database: " + what + ": " + e.getMessage(), e);
  }

  private static long micros(Instant t) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, t);
  }

  private static Instant instant(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
  }
}
