package io.fastpull.fuse;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Detects sequential reads of a file and says which range to fetch ahead, with a window that
 * grows while the reader stays sequential. The kernel sends a sequential reader's requests
 * nearly in order (several threads may swap neighbours), so a read that starts within one
 * window of where the last one ended counts as sequential; a file read from offset 0 is presumed
 * sequential. The window starts at {@link #INITIAL} bytes (or the maximum, if smaller) and
 * doubles each time it is extended, up to the maximum, so a small file read once costs little
 * while a big file read to the end soon has enough requests in flight to fill the link. A
 * window is extended only when the reader gets within half of it, so most reads cost a map
 * lookup.
 *
 * <p>Thread-safe; holds state for a bounded number of files (forgets all when full).
 */
final class Readahead {
  static final long INITIAL = 1 << 20;
  private static final int MAX_FILES = 4096;

  private record State(long nextOffset, long fetchedTo, long window) {}

  private final long max;
  private final ConcurrentHashMap<Integer, State> files = new ConcurrentHashMap<>();

  /** @param max the most bytes to keep fetched ahead of a sequential reader (0 disables) */
  Readahead(long max) {
    this.max = max;
  }

  /**
   * Records a read of {@code [offset, offset + len)} of file {@code ino} of {@code size} bytes.
   *
   * @return the range {@code {from, to}} to fetch ahead, or null when nothing is due
   */
  long[] onRead(int ino, long offset, long len, long size) {
    if (max == 0) {
      return null;
    }
    long end = Math.min(size, offset + len);
    long initial = Math.min(INITIAL, max);
    State s = files.get(ino);
    boolean sequential = offset == 0 || (s != null && offset >= s.nextOffset() - s.window()
        && offset <= s.nextOffset() + s.window());
    if (!sequential) {
      files.put(ino, new State(end, end, initial));
      return null;
    }
    long window = s == null || offset == 0 && s.nextOffset() > end ? initial : s.window();
    long fetchedTo = s == null ? end : Math.max(s.fetchedTo(), end);
    long[] due = null;
    if (fetchedTo < size && fetchedTo - end < window / 2) {
      long to = Math.min(size, end + window);
      due = new long[] {fetchedTo, to};
      fetchedTo = to;
      window = Math.min(max, window * 2);
    }
    if (files.size() >= MAX_FILES) {
      files.clear();
    }
    files.put(ino, new State(Math.max(end, s == null ? 0 : s.nextOffset()), fetchedTo, window));
    return due;
  }
}
