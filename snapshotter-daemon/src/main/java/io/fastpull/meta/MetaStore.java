package io.fastpull.meta;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The SQLite database of snapshot records ({@code metadata.db}, WAL journal).
 *
 * <p>All access goes through {@link #begin(Mode)}; transactions are serialized (one at a time,
 * fair order), which makes every operation atomic and its checks race-free. Thread-safe. {@link
 * #close()} is idempotent; {@code begin} after close throws {@link IllegalStateException}.
 */
public final class MetaStore implements AutoCloseable {
  /** Whether a transaction may write. */
  public enum Mode {
    READ,
    WRITE
  }

  private static final int SCHEMA_VERSION = 1;

  private final ReentrantLock lock = new ReentrantLock(true);
  // guarded by lock
  private final Connection connection;
  // guarded by lock
  private boolean closed;

  private MetaStore(Connection connection) {
    this.connection = connection;
  }

  /**
   * Opens (creating if needed) the database at {@code file}.
   *
   * @throws IOException if the file cannot be opened or has an unknown schema version
   */
  public static MetaStore open(Path file) throws IOException {
    try {
      Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("PRAGMA foreign_keys=ON");
        s.execute("PRAGMA busy_timeout=10000");
        int version;
        try (var rs = s.executeQuery("PRAGMA user_version")) {
          version = rs.next() ? rs.getInt(1) : 0;
        }
        if (version == 0) {
          createSchema(s);
        } else if (version != SCHEMA_VERSION) {
          c.close();
          throw new IOException(
              "metadata database "
                  + file
                  + " has schema version "
                  + version
                  + ", this daemon knows "
                  + SCHEMA_VERSION
                  + ": use a matching fastpull version or a fresh root directory");
        }
      }
      c.setAutoCommit(false);
      return new MetaStore(c);
    } catch (SQLException e) {
      throw new IOException("cannot open metadata database " + file + ": " + e.getMessage(), e);
    }
  }

  private static void createSchema(Statement s) throws SQLException {
    s.execute(
        "CREATE TABLE IF NOT EXISTS snapshots ("
            + " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            + " key TEXT NOT NULL UNIQUE,"
            + " kind TEXT NOT NULL,"
            + " parent_id INTEGER REFERENCES snapshots(id),"
            + " created_us INTEGER NOT NULL,"
            + " updated_us INTEGER NOT NULL,"
            + " size INTEGER NOT NULL DEFAULT 0,"
            + " inodes INTEGER NOT NULL DEFAULT 0,"
            + " remote INTEGER NOT NULL DEFAULT 0)");
    s.execute("CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent_id)");
    s.execute(
        "CREATE TABLE IF NOT EXISTS labels ("
            + " snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,"
            + " name TEXT NOT NULL,"
            + " value TEXT NOT NULL,"
            + " PRIMARY KEY (snapshot_id, name))");
    s.execute("PRAGMA user_version=" + SCHEMA_VERSION);
  }

  /**
   * Starts a transaction, waiting for the previous one to end. The caller must close it (try with
   * resources); closing without {@link Transaction#commit()} rolls back.
   */
  public Transaction begin(Mode mode) throws IOException {
    lock.lock();
    if (closed) {
      lock.unlock();
      throw new IllegalStateException("metadata store is closed");
    }
    return new Transaction(connection, mode, lock);
  }

  @Override
  public void close() throws IOException {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      connection.close();
    } catch (SQLException e) {
      throw new IOException("closing metadata database: " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }
}
