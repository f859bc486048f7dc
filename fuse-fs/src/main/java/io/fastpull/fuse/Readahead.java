package io.fastpull.fuse;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Detects sequential reads of a file and says which range to fetch ahead. The kernel sends a
 * sequential reader's requests nearly in order (several threads may swap neighbours), so a read
 * that starts within one window of where the last one ended counts as sequential; a file read
 * from offset 0 is presumed sequential. Each file's window is extended only when the reader gets
 * within half of it, so most reads cost a map lookup.
 *
 * <p>Thread-safe; holds state for a bounded number of files (forgets all when full).
 */
final class Readahead {
  private static final int MAX_FILES = 4096;

  private record State(long nextOffset, long fetchedTo) {}

  private final long window;
  private final ConcurrentHashMap<Integer, State> files = new ConcurrentHashMap<>();

  /** @param window bytes to keep fetched ahead of a sequential reader (0 disables) */
  Readahead(long window) {
    this.window = window;
  }

  /**
   * Records a read of {@code [offset, offset + len)} of file {@code ino} of {@code size} bytes.
   *
   * @return the range {@code {from, to}} to fetch ahead, or null when nothing is due
   */
  long[] onRead(int ino, long offset, long len, long size) {
    if (window == 0) {
      return null;
    }
    long end = Math.min(size, offset + len);
    State s = files.get(ino);
    boolean sequential = offset == 0
        || (s != null && offset >= s.nextOffset() - window && offset <= s.nextOffset() + window);
    if (!sequential) {
      files.put(ino, new State(end, end));
      return null;
    }
    long fetchedTo = s == null ? end : Math.max(s.fetchedTo(), end);
    long[] due = null;
    if (fetchedTo < size && fetchedTo - end < window / 2) {
      long to = Math.min(size, end + window);
      due = new long[] {fetchedTo, to};
      fetchedTo = to;
    }
    if (files.size() >= MAX_FILES) {
      files.clear();
    }
    files.put(ino, new State(Math.max(end, s == null ? 0 : s.nextOffset()), fetchedTo));
    return due;
  }
}
