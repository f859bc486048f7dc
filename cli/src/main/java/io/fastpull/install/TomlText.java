package io.fastpull.install;

import java.util.ArrayList;
import java.util.List;

/**
 * A TOML document as its exact lines plus the statements on them (table headers and key/value
 * pairs with their full key paths), enough to replace, insert or remove lines while every other
 * byte stays as the user wrote it.
 *
 * <p>The scanner is lenient: it is only run on text a real TOML parser has already accepted, and it
 * only needs to know where statements start and end (multi-line strings and arrays included).
 * Immutable.
 */
final class TomlText {
  enum Kind { TABLE, ARRAY_TABLE, KEYVAL }

  /**
   * One statement on lines {@code first..last} (inclusive, 0-based).
   *
   * @param table the table the statement is in (for a header: the table it opens)
   * @param key the key as written (dotted keys give several parts); empty for headers
   */
  record Statement(Kind kind, int first, int last, List<String> table, List<String> key) {
    Statement {
      table = List.copyOf(table);
      key = List.copyOf(key);
    }

    List<String> fullKey() {
      List<String> all = new ArrayList<>(table);
      all.addAll(key);
      return all;
    }
  }

  private final List<String> lines;
  private final List<Statement> statements;

  private TomlText(List<String> lines) {
    this.lines = List.copyOf(lines);
    this.statements = new Scanner(String.join("", lines), this.lines).scan();
  }

  /** Splits {@code text} into lines that keep their terminators, so joining them gives it back. */
  static TomlText of(String text) {
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\n') {
        out.add(text.substring(start, i + 1));
        start = i + 1;
      }
    }
    if (start < text.length()) {
      out.add(text.substring(start));
    }
    return new TomlText(out);
  }

  static TomlText ofLines(List<String> lines) {
    return new TomlText(lines);
  }

  List<String> lines() {
    return lines;
  }

  List<Statement> statements() {
    return statements;
  }

  String text() {
    return String.join("", lines);
  }

  /** The file's line terminator: CRLF when its first line ends so, else LF. */
  String newline() {
    return !lines.isEmpty() && lines.get(0).endsWith("\r\n") ? "\r\n" : "\n";
  }

  /** A line without its terminator. */
  static String strip(String line) {
    if (line.endsWith("\r\n")) {
      return line.substring(0, line.length() - 2);
    }
    return line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
  }

  static String indentOf(String line) {
    int i = 0;
    while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
      i++;
    }
    return line.substring(0, i);
  }

  /** The lines of a statement without terminators, joined by LF. */
  String textOf(Statement s) {
    StringBuilder b = new StringBuilder();
    for (int i = s.first(); i <= s.last(); i++) {
      b.append(strip(lines.get(i)));
      if (i < s.last()) {
        b.append('\n');
      }
    }
    return b.toString();
  }

  /** Renders a key path the way containerd writes it: bare where allowed, else double-quoted. */
  static String render(List<String> path) {
    StringBuilder b = new StringBuilder();
    for (String part : path) {
      if (b.length() > 0) {
        b.append('.');
      }
      if (!part.isEmpty() && part.chars().allMatch(c -> Character.isLetterOrDigit(c) && c < 128
          || c == '_' || c == '-')) {
        b.append(part);
      } else {
        b.append('"').append(part.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
    }
    return b.toString();
  }

  /** Character-level walk over the document, tracking strings, brackets and comments. */
  private static final class Scanner {
    private final String s;
    private final int[] lineStarts;
    private int pos;

    Scanner(String s, List<String> lines) {
      this.s = s;
      this.lineStarts = new int[lines.size()];
      int off = 0;
      for (int i = 0; i < lines.size(); i++) {
        lineStarts[i] = off;
        off += lines.get(i).length();
      }
    }

    List<Statement> scan() {
      List<Statement> out = new ArrayList<>();
      List<String> table = List.of();
      while (pos < s.length()) {
        skipBlanks();
        if (pos >= s.length()) {
          break;
        }
        char c = s.charAt(pos);
        int first = lineOf(pos);
        if (c == '\n' || c == '\r' || c == '#') {
          skipToLineEnd();
        } else if (c == '[') {
          boolean array = pos + 1 < s.length() && s.charAt(pos + 1) == '[';
          pos += array ? 2 : 1;
          table = key(']');
          skipToLineEnd();
          out.add(new Statement(array ? Kind.ARRAY_TABLE : Kind.TABLE, first, first, table,
              List.of()));
        } else {
          List<String> key = key('=');
          pos++; // '='
          value();
          skipToLineEnd();
          int last = lineOf(Math.min(pos, s.length() - 1));
          out.add(new Statement(Kind.KEYVAL, first, last, table, key));
        }
        if (pos < s.length() && s.charAt(pos) == '\n') {
          pos++;
        }
      }
      return out;
    }

    private int lineOf(int offset) {
      int lo = 0;
      int hi = lineStarts.length - 1;
      while (lo < hi) {
        int mid = (lo + hi + 1) >>> 1;
        if (lineStarts[mid] <= offset) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      return lo;
    }

    private void skipBlanks() {
      while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) {
        pos++;
      }
    }

    /** Moves to the '\n' ending this line (comments included), or to the end. */
    private void skipToLineEnd() {
      while (pos < s.length() && s.charAt(pos) != '\n') {
        pos++;
      }
    }

    private List<String> key(char end) {
      List<String> parts = new ArrayList<>();
      while (pos < s.length()) {
        skipBlanks();
        char c = s.charAt(pos);
        if (c == '"') {
          parts.add(basicString());
        } else if (c == '\'') {
          int close = s.indexOf('\'', pos + 1);
          parts.add(s.substring(pos + 1, close));
          pos = close + 1;
        } else {
          int from = pos;
          while (pos < s.length() && isBare(s.charAt(pos))) {
            pos++;
          }
          parts.add(s.substring(from, pos));
        }
        skipBlanks();
        if (pos < s.length() && s.charAt(pos) == '.') {
          pos++;
          continue;
        }
        break;
      }
      // now at `end` (']' or '='); a second ']' closes an array table header
      if (end == ']') {
        while (pos < s.length() && s.charAt(pos) == ']') {
          pos++;
        }
      }
      return parts;
    }

    private static boolean isBare(char c) {
      return c < 128 && Character.isLetterOrDigit(c) || c == '_' || c == '-';
    }

    private String basicString() {
      StringBuilder b = new StringBuilder();
      pos++;
      while (pos < s.length() && s.charAt(pos) != '"') {
        char c = s.charAt(pos++);
        if (c == '\\' && pos < s.length()) {
          char e = s.charAt(pos++);
          switch (e) {
            case 'n' -> b.append('\n');
            case 't' -> b.append('\t');
            case 'r' -> b.append('\r');
            case 'b' -> b.append('\b');
            case 'f' -> b.append('\f');
            case 'u' -> {
              b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
              pos += 4;
            }
            case 'U' -> {
              b.appendCodePoint(Integer.parseInt(s.substring(pos, pos + 8), 16));
              pos += 8;
            }
            default -> b.append(e);
          }
        } else {
          b.append(c);
        }
      }
      pos++;
      return b.toString();
    }

    /** Skips a value: strings (all four kinds), arrays and inline tables across lines. */
    private void value() {
      int depth = 0;
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (s.startsWith("\"\"\"", pos)) {
          pos += 3;
          while (pos < s.length() && !s.startsWith("\"\"\"", pos)) {
            pos += s.charAt(pos) == '\\' ? 2 : 1;
          }
          pos += 3;
          while (pos < s.length() && s.charAt(pos) == '"') {
            pos++;
          }
        } else if (s.startsWith("'''", pos)) {
          int close = s.indexOf("'''", pos + 3);
          pos = close < 0 ? s.length() : close + 3;
          while (pos < s.length() && s.charAt(pos) == '\'') {
            pos++;
          }
        } else if (c == '"') {
          pos++;
          while (pos < s.length() && s.charAt(pos) != '"' && s.charAt(pos) != '\n') {
            pos += s.charAt(pos) == '\\' ? 2 : 1;
          }
          pos++;
        } else if (c == '\'') {
          int close = s.indexOf('\'', pos + 1);
          pos = close < 0 ? s.length() : close + 1;
        } else if (c == '[' || c == '{') {
          depth++;
          pos++;
        } else if (c == ']' || c == '}') {
          depth--;
          pos++;
        } else if (c == '#') {
          skipToLineEnd();
        } else if (c == '\n') {
          if (depth <= 0) {
            return;
          }
          pos++;
        } else {
          pos++;
        }
      }
    }
  }
}
