package io.fastpull.tar;

import java.util.ArrayList;
import java.util.List;

/**
 * How a sparse file's data regions are laid out in the archive so that GNU tar extracts them.
 *
 * <p>GNU tar reads every sparse region starting at a fresh 512-byte block, so all regions but the
 * last must be whole blocks long. Regions are therefore extended with explicit zeros (taken from
 * the hole that follows) to a block multiple, and merged with the next region when the padding
 * would reach it. The zeros are real data, so every reader sees the same logical file.
 */
final class SparsePlan {
  /** Archived regions as {offset, length}. */
  final List<long[]> regions = new ArrayList<>();
  /** Write steps: {0, n} copies n bytes of caller data, {1, n} writes n zeros. */
  final List<long[]> steps = new ArrayList<>();

  /** @param input validated, ascending, non-overlapping {offset, length} regions */
  SparsePlan(List<long[]> input) {
    long[] cur = null;
    for (long[] r : input) {
      if (r[1] == 0) {
        continue; // carries no data; GNU tar would treat it as the end of the file
      }
      if (cur != null) {
        long curEnd = cur[0] + cur[1];
        long aligned = cur[0] + ((cur[1] + ArchiveInput.BLOCK - 1) & -ArchiveInput.BLOCK);
        if (aligned >= r[0]) {
          steps.add(new long[] {1, r[0] - curEnd});
          steps.add(new long[] {0, r[1]});
          cur[1] = r[0] + r[1] - cur[0];
          continue;
        }
        steps.add(new long[] {1, aligned - curEnd});
        cur[1] = aligned - cur[0];
        regions.add(cur);
      }
      cur = new long[] {r[0], r[1]};
      steps.add(new long[] {0, r[1]});
    }
    if (cur != null) {
      regions.add(cur);
    }
  }
}
