package io.fastpull.snapshot;

import io.fastpull.snapshot.SnapshotException.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The subset of containerd's filter language that containerd sends to snapshotters: each filter
 * is comma-separated clauses that must all hold (AND); any filter may match (OR). A clause is a
 * field path ({@code name}, {@code parent}, {@code kind}, {@code labels.KEY} with {@code KEY}
 * possibly quoted) alone (present) or followed by {@code ==}, {@code !=} or {@code ~=} and a bare
 * or double-quoted value.
 */
final class SnapshotFilter {
  private enum Op {
    PRESENT,
    EQUAL,
    NOT_EQUAL,
    MATCHES
  }

  private record Clause(List<String> path, Op op, String value, Pattern pattern) {
    boolean matches(Info info) {
      Optional<String> field = field(info, path);
      switch (op) {
        case PRESENT:
          return field.isPresent();
        case EQUAL:
          return field.isPresent() && field.get().equals(value);
        case NOT_EQUAL:
          return !field.orElse("").equals(value);
        default:
          return pattern.matcher(field.orElse("")).find();
      }
    }
  }

  private final List<List<Clause>> alternatives;

  private SnapshotFilter(List<List<Clause>> alternatives) {
    this.alternatives = alternatives;
  }

  static SnapshotFilter parse(List<String> filters) throws SnapshotException {
    List<List<Clause>> alternatives = new ArrayList<>();
    for (String f : filters) {
      alternatives.add(new Parser(f).parse());
    }
    return new SnapshotFilter(alternatives);
  }

  boolean matches(Info info) {
    if (alternatives.isEmpty()) {
      return true;
    }
    for (List<Clause> all : alternatives) {
      if (all.stream().allMatch(c -> c.matches(info))) {
        return true;
      }
    }
    return false;
  }

  private static Optional<String> field(Info info, List<String> path) {
    switch (path.get(0)) {
      case "name":
        return Optional.of(info.name());
      case "parent":
        return Optional.of(info.parent());
      case "kind":
        return Optional.of(info.kind().name().toLowerCase(java.util.Locale.ROOT));
      case "labels":
        if (path.size() < 2) {
          return Optional.empty();
        }
        return Optional.ofNullable(info.labels().get(String.join(".", path.subList(1, path.size()))));
      default:
        return Optional.empty();
    }
  }

  /** Recursive-descent parser over one filter string. */
  private static final class Parser {
    private final String in;
    private int pos;

    Parser(String in) {
      this.in = in;
    }

    List<Clause> parse() throws SnapshotException {
      List<Clause> clauses = new ArrayList<>();
      skipSpace();
      if (pos == in.length()) {
        throw error("empty filter");
      }
      while (true) {
        clauses.add(clause());
        skipSpace();
        if (pos == in.length()) {
          return clauses;
        }
        if (in.charAt(pos) != ',') {
          throw error("expected ',' or end of filter");
        }
        pos++;
      }
    }

    private Clause clause() throws SnapshotException {
      List<String> path = new ArrayList<>();
      path.add(segment());
      while (pos < in.length() && in.charAt(pos) == '.') {
        pos++;
        path.add(segment());
      }
      if (!List.of("name", "parent", "kind", "labels").contains(path.get(0))) {
        throw error("unsupported field '" + path.get(0) + "' (supported: name, parent, kind, labels)");
      }
      skipSpace();
      Op op;
      if (in.startsWith("==", pos)) {
        op = Op.EQUAL;
      } else if (in.startsWith("!=", pos)) {
        op = Op.NOT_EQUAL;
      } else if (in.startsWith("~=", pos)) {
        op = Op.MATCHES;
      } else {
        return new Clause(path, Op.PRESENT, "", null);
      }
      pos += 2;
      skipSpace();
      String value = value();
      Pattern pattern = null;
      if (op == Op.MATCHES) {
        try {
          pattern = Pattern.compile(value);
        } catch (PatternSyntaxException e) {
          throw error("bad regular expression '" + value + "'");
        }
      }
      return new Clause(path, op, value, pattern);
    }

    private String segment() throws SnapshotException {
      skipSpace();
      if (pos < in.length() && in.charAt(pos) == '"') {
        return quoted();
      }
      int start = pos;
      while (pos < in.length()
          && (Character.isLetterOrDigit(in.charAt(pos)) || in.charAt(pos) == '_')) {
        pos++;
      }
      if (start == pos) {
        throw error("expected a field name");
      }
      return in.substring(start, pos);
    }

    private String value() throws SnapshotException {
      if (pos < in.length() && in.charAt(pos) == '"') {
        return quoted();
      }
      int start = pos;
      while (pos < in.length() && in.charAt(pos) != ',' && !Character.isWhitespace(in.charAt(pos))) {
        pos++;
      }
      if (start == pos) {
        throw error("expected a value");
      }
      return in.substring(start, pos);
    }

    private String quoted() throws SnapshotException {
      StringBuilder out = new StringBuilder();
      pos++; // opening quote
      while (pos < in.length()) {
        char c = in.charAt(pos++);
        if (c == '"') {
          return out.toString();
        }
        if (c != '\\') {
          out.append(c);
          continue;
        }
        if (pos == in.length()) {
          break;
        }
        char e = in.charAt(pos++);
        switch (e) {
          case 'n':
            out.append('\n');
            break;
          case 't':
            out.append('\t');
            break;
          case 'r':
            out.append('\r');
            break;
          case '"':
          case '\\':
          case '/':
            out.append(e);
            break;
          default:
            throw error("unsupported escape '\\" + e + "'");
        }
      }
      throw error("unterminated quoted string");
    }

    private void skipSpace() {
      while (pos < in.length() && Character.isWhitespace(in.charAt(pos))) {
        pos++;
      }
    }

    private SnapshotException error(String what) {
      return new SnapshotException(
          Code.INVALID_ARGUMENT,
          "filter \"" + in + "\" at offset " + pos + ": " + what);
    }
  }
}
