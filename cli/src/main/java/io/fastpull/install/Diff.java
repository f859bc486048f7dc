package io.fastpull.install;

import java.util.ArrayList;
import java.util.List;

/** Unified diffs (3 lines of context) of two small texts, for {@code --dry-run}. Stateless. */
final class Diff {
  private static final int CONTEXT = 3;

  private Diff() {}

  private record Op(char sign, String line) {}

  static String unified(String aName, String bName, String a, String b) {
    List<String> x = a.isEmpty() ? List.of() : a.lines().toList();
    List<String> y = b.isEmpty() ? List.of() : b.lines().toList();
    List<Op> ops = ops(x, y);
    StringBuilder out = new StringBuilder();
    out.append("--- ").append(aName).append('\n').append("+++ ").append(bName).append('\n');
    int i = 0;
    while (i < ops.size()) {
      if (ops.get(i).sign() == ' ') {
        i++;
        continue;
      }
      int start = Math.max(0, i - CONTEXT);
      int end = i;
      // extend the hunk while changes are closer than two contexts apart
      int lastChange = i;
      while (end < ops.size() && end - lastChange <= 2 * CONTEXT) {
        if (ops.get(end).sign() != ' ') {
          lastChange = end;
        }
        end++;
      }
      end = Math.min(ops.size(), lastChange + CONTEXT + 1);
      int aStart = 1;
      int bStart = 1;
      for (int k = 0; k < start; k++) {
        aStart += ops.get(k).sign() != '+' ? 1 : 0;
        bStart += ops.get(k).sign() != '-' ? 1 : 0;
      }
      int aLen = 0;
      int bLen = 0;
      for (int k = start; k < end; k++) {
        aLen += ops.get(k).sign() != '+' ? 1 : 0;
        bLen += ops.get(k).sign() != '-' ? 1 : 0;
      }
      out.append("@@ -").append(aLen == 0 ? aStart - 1 : aStart).append(',').append(aLen)
          .append(" +").append(bLen == 0 ? bStart - 1 : bStart).append(',').append(bLen)
          .append(" @@\n");
      for (int k = start; k < end; k++) {
        out.append(ops.get(k).sign()).append(ops.get(k).line()).append('\n');
      }
      i = end;
    }
    return out.toString();
  }

  /** Longest-common-subsequence edit script; the configs are a few hundred lines at most. */
  private static List<Op> ops(List<String> x, List<String> y) {
    int n = x.size();
    int m = y.size();
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] = x.get(i).equals(y.get(j)) ? lcs[i + 1][j + 1] + 1
            : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<Op> ops = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && x.get(i).equals(y.get(j))) {
        ops.add(new Op(' ', x.get(i++)));
        j++;
      } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
        ops.add(new Op('+', y.get(j++)));
      } else {
        ops.add(new Op('-', x.get(i++)));
      }
    }
    return ops;
  }
}
