package io.fastpull.install;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.fastpull.install.InstallException.Code;
import io.fastpull.install.TomlText.Kind;
import io.fastpull.install.TomlText.Statement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Adds fastpull's keys to containerd's config (version 2) by editing its text, and takes them out
 * again. Every result is parsed back and compared with what the edit meant to do, so a config
 * written in a form the editor does not follow is refused instead of damaged. Stateless.
 */
final class ConfigEditor {
  private static final TomlMapper TOML = new TomlMapper();

  private ConfigEditor() {}

  /**
   * The edit that makes {@code before} (empty when the file does not exist) hold {@code wants}.
   *
   * @throws InstallException UNPARSEABLE, UNSUPPORTED_VERSION or NOT_EDITABLE, naming {@code file}
   */
  static ConfigPlan plan(Path file, Optional<String> before, List<Want> wants)
      throws InstallException {
    Map<String, Object> parsed = parse(file, before.orElse(""));
    TomlText text = TomlText.of(before.orElse(""));
    List<Edit> edits = new ArrayList<>();
    Object version = parsed.get("version");
    if (parsed.isEmpty()) {
      // no settings at all: containerd's defaults, which a version 2 file can extend
      Edit e = new Edit(Edit.Type.ADD, List.of(), List.of("version"), List.of(),
          List.of("version = 2"), false);
      text = TomlText.ofLines(insert(text.lines(), 0, e.after(), text.newline()));
      edits.add(e);
    } else if (!Long.valueOf(2).equals(version instanceof Number n ? n.longValue() : null)) {
      throw new InstallException(Code.UNSUPPORTED_VERSION, versionMessage(file, version));
    }
    Map<List<String>, List<Want>> byTable = new LinkedHashMap<>();
    for (Want w : wants) {
      if (!Objects.equals(lookup(parsed, w.fullKey()), w.value())) {
        byTable.computeIfAbsent(w.table(), t -> new ArrayList<>()).add(w);
      }
    }
    for (Map.Entry<List<String>, List<Want>> group : byTable.entrySet()) {
      List<Want> block = new ArrayList<>();
      for (Want w : group.getValue()) {
        Optional<Step> e = lineEdit(text, w);
        if (e.isPresent()) {
          text = e.get().result();
          edits.add(e.get().edit());
        } else {
          block.add(w);
        }
      }
      if (!block.isEmpty()) {
        Step e = blockEdit(text, group.getKey(), block);
        text = e.result();
        edits.add(e.edit());
      }
    }
    String after = text.text();
    if (!edits.isEmpty()) {
      Map<String, Object> expected = deepCopy(parsed);
      if (parsed.isEmpty()) {
        expected.put("version", 2);
      }
      for (Want w : wants) {
        put(expected, w.fullKey(), w.value());
      }
      Map<String, Object> got;
      try {
        got = parse(file, after);
      } catch (InstallException e) {
        throw notEditable(file, wants, e.getMessage());
      }
      if (!normalize(got).equals(normalize(expected))) {
        throw notEditable(file, wants, "the edited text would not mean what it should");
      }
    }
    return new ConfigPlan(before, after, edits);
  }

  /** An edit and the text it gives. */
  private record Step(Edit edit, TomlText result) {}

  /** A replacement for an existing key, or a line added to its table's own section. */
  private static Optional<Step> lineEdit(TomlText text, Want w) {
    List<Statement> all = text.statements();
    for (Statement s : all) {
      if (s.kind() == Kind.KEYVAL && s.fullKey().equals(w.fullKey())) {
        String indent = TomlText.indentOf(text.lines().get(s.first()));
        List<String> old = new ArrayList<>();
        for (int i = s.first(); i <= s.last(); i++) {
          old.add(TomlText.strip(text.lines().get(i)));
        }
        String line = indent + TomlText.render(s.key()) + " = " + w.tomlValue();
        List<String> lines = new ArrayList<>(text.lines());
        String end = lines.get(s.last()).substring(TomlText.strip(lines.get(s.last())).length());
        for (int i = s.last(); i > s.first(); i--) {
          lines.remove(i);
        }
        lines.set(s.first(), line + end);
        return Optional.of(new Step(new Edit(Edit.Type.REPLACE, w.table(), List.of(w.key()), old,
            List.of(line), false), TomlText.ofLines(lines)));
      }
    }
    for (int h = 0; h < all.size(); h++) {
      Statement header = all.get(h);
      if (header.kind() != Kind.TABLE || !header.table().equals(w.table())) {
        continue;
      }
      Statement lastKey = header;
      for (int i = h + 1; i < all.size() && all.get(i).kind() == Kind.KEYVAL; i++) {
        lastKey = all.get(i);
      }
      String indent = lastKey == header
          ? TomlText.indentOf(text.lines().get(header.first())) + "  "
          : TomlText.indentOf(text.lines().get(lastKey.first()));
      return Optional.of(addAfter(text, lastKey.last(), w.table(), List.of(w.key()),
          List.of(w.line(indent))));
    }
    return Optional.empty();
  }

  /** A new table, placed after the last table that shares the most leading key parts with it. */
  private static Step blockEdit(TomlText text, List<String> table, List<Want> wants) {
    List<Statement> all = text.statements();
    int anchor = -1;
    int best = 0;
    for (int i = 0; i < all.size(); i++) {
      Statement s = all.get(i);
      if (s.kind() == Kind.TABLE) {
        int common = common(s.table(), table);
        if (common > 0 && common >= best) {
          best = common;
          anchor = i;
        }
      }
    }
    String indent = "";
    int afterLine = text.lines().size() - 1;
    if (anchor >= 0) {
      Statement header = all.get(anchor);
      Statement last = header;
      for (int i = anchor + 1; i < all.size() && all.get(i).kind() == Kind.KEYVAL; i++) {
        last = all.get(i);
      }
      afterLine = last.last();
      int depth = TomlText.indentOf(text.lines().get(header.first())).length()
          + 2 * (table.size() - header.table().size());
      indent = " ".repeat(Math.max(0, depth));
    }
    List<String> lines = new ArrayList<>();
    if (afterLine >= 0) {
      lines.add("");
    }
    lines.add(indent + "[" + TomlText.render(table) + "]");
    List<String> keys = new ArrayList<>();
    for (Want w : wants) {
      lines.add(w.line(indent + "  "));
      keys.add(w.key());
    }
    return addAfter(text, afterLine, table, keys, lines);
  }

  private static Step addAfter(TomlText text, int line, List<String> table, List<String> keys,
      List<String> lines) {
    boolean unterminated = line >= 0 && !text.lines().get(line).endsWith("\n");
    Edit e = new Edit(Edit.Type.ADD, table, keys, List.of(), lines, unterminated);
    return new Step(e, TomlText.ofLines(insert(text.lines(), line + 1, lines, text.newline())));
  }

  /** Inserts {@code add} before line {@code at}, terminating the previous line if it was not. */
  static List<String> insert(List<String> lines, int at, List<String> add, String nl) {
    List<String> out = new ArrayList<>(lines);
    if (at > 0 && !out.get(at - 1).endsWith("\n")) {
      out.set(at - 1, out.get(at - 1) + nl);
    }
    List<String> terminated = new ArrayList<>();
    for (String a : add) {
      terminated.add(a + nl);
    }
    out.addAll(at, terminated);
    return out;
  }

  private static int common(List<String> a, List<String> b) {
    int n = 0;
    while (n < a.size() && n < b.size() && a.get(n).equals(b.get(n))) {
      n++;
    }
    return n;
  }

  /**
   * Parses TOML text into nested maps.
   *
   * @throws InstallException UNPARSEABLE, with the line and the parser's message
   */
  static Map<String, Object> parse(Path file, String text) throws InstallException {
    try {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = TOML.readValue(text, Map.class);
      return m == null ? new LinkedHashMap<>() : m;
    } catch (JacksonException e) {
      JsonLocation at = e.getLocation();
      String where = at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr();
      throw new InstallException(Code.UNPARSEABLE, "containerd config " + file
          + " is not valid TOML" + where + ": " + e.getOriginalMessage()
          + "; fix it (or move it away) and run fastpull again; it was left untouched");
    }
  }

  static Object lookup(Map<String, Object> map, List<String> path) {
    Object cur = map;
    for (String p : path) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(p);
    }
    return cur;
  }

  @SuppressWarnings("unchecked")
  private static void put(Map<String, Object> map, List<String> path, Object value) {
    Map<String, Object> cur = map;
    for (String p : path.subList(0, path.size() - 1)) {
      Object next = cur.get(p);
      if (!(next instanceof Map)) {
        next = new LinkedHashMap<String, Object>();
        cur.put(p, next);
      }
      cur = (Map<String, Object>) next;
    }
    cur.put(path.get(path.size() - 1), value);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> deepCopy(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(k, v instanceof Map ? deepCopy((Map<String, Object>) v) : v));
    return out;
  }

  /** Drops empty tables (TOML cannot tell an implicit table from an absent one after edits). */
  @SuppressWarnings("unchecked")
  static Map<String, Object> normalize(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> {
      if (v instanceof Map) {
        Map<String, Object> sub = normalize((Map<String, Object>) v);
        if (!sub.isEmpty()) {
          out.put(k, sub);
        }
      } else {
        out.put(k, v instanceof Number n && !(v instanceof Double) ? n.longValue() : v);
      }
    });
    return out;
  }

  private static InstallException notEditable(Path file, List<Want> wants, String why) {
    StringBuilder b = new StringBuilder("cannot edit containerd config " + file
        + " safely (" + why + "): it may set fastpull's keys as an inline table or dotted keys;"
        + " it was left untouched. Make it hold these settings by hand:");
    List<String> table = null;
    for (Want w : wants) {
      if (!w.table().equals(table)) {
        table = w.table();
        b.append("\n  [").append(TomlText.render(table)).append(']');
      }
      b.append("\n    ").append(w.line(""));
    }
    return new InstallException(Code.NOT_EDITABLE, b.toString());
  }

  private static String versionMessage(Path file, Object version) {
    if (version == null || "1".equals(String.valueOf(version))) {
      return "containerd config " + file + " is a version 1 config (it has no `version = 2`);"
          + " fastpull edits version 2 configs only. Convert it first: start from"
          + " `containerd config default`, add `version = 2` at the top and rename plugin tables"
          + " such as [plugins.cri] to [plugins.\"io.containerd.grpc.v1.cri\"]; it was left"
          + " untouched";
    }
    return "containerd config " + file + " has version = " + version + "; fastpull edits"
        + " version 2 configs (containerd 1.x) only; it was left untouched";
  }
}
