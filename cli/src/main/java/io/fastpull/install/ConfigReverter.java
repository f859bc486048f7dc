package io.fastpull.install;

import io.fastpull.install.TomlText.Kind;
import io.fastpull.install.TomlText.Statement;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Takes fastpull's edits out of containerd's config text, newest first, touching only lines that
 * still read as fastpull wrote them; lines the user changed since are left, with a warning.
 * Stateless.
 */
final class ConfigReverter {
  private ConfigReverter() {}

  /** The text with the edits taken out, and what could not be taken out. */
  record Result(String text, List<String> warnings) {
    Result {
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * Reverts {@code edits} (as recorded at install) in {@code text}.
   *
   * @throws InstallException UNPARSEABLE if the text (before or after) is not TOML
   */
  static Result revert(Path file, String text, List<Edit> edits) throws InstallException {
    ConfigEditor.parse(file, text);
    TomlText doc = TomlText.of(text);
    List<String> warnings = new ArrayList<>();
    for (int i = edits.size() - 1; i >= 0; i--) {
      Edit e = edits.get(i);
      doc = e.type() == Edit.Type.REPLACE ? unreplace(doc, e, warnings) : unadd(doc, e, warnings);
    }
    ConfigEditor.parse(file, doc.text());
    return new Result(doc.text(), warnings);
  }

  private static TomlText unreplace(TomlText doc, Edit e, List<String> warnings) {
    List<String> key = key(e.table(), e.keys().get(0));
    for (Statement s : doc.statements()) {
      if (s.kind() == Kind.KEYVAL && s.fullKey().equals(key)) {
        if (!doc.textOf(s).equals(String.join("\n", e.after()))) {
          warnings.add(render(key) + " was changed since install; left as it is");
          return doc;
        }
        List<String> lines = new ArrayList<>(doc.lines());
        String end = lines.get(s.first()).substring(TomlText.strip(lines.get(s.first())).length());
        lines.remove(s.first());
        List<String> old = new ArrayList<>();
        for (int j = 0; j < e.before().size(); j++) {
          old.add(e.before().get(j) + (j == e.before().size() - 1 ? end : doc.newline()));
        }
        lines.addAll(s.first(), old);
        return TomlText.ofLines(lines);
      }
    }
    warnings.add(render(key) + " is gone since install; not restored to "
        + String.join(" ", e.before()).trim());
    return doc;
  }

  private static TomlText unadd(TomlText doc, Edit e, List<String> warnings) {
    List<String> lines = new ArrayList<>(doc.lines());
    boolean block = e.after().stream().anyMatch(l -> l.trim().startsWith("["));
    if (block) {
      int header = e.after().get(0).isBlank() ? 1 : 0;
      for (Statement s : doc.statements()) {
        if (s.kind() == Kind.TABLE && s.table().equals(e.table())) {
          int from = s.first() - header;
          if (from >= 0 && from + e.after().size() <= lines.size()
              && stripped(lines.subList(from, from + e.after().size())).equals(e.after())) {
            return remove(lines, from, e.after().size(), e.addedFinalNewline());
          }
        }
      }
    }
    // Not as written (or a single line): take out our key lines that still read as ours.
    int removed = 0;
    for (String k : e.keys()) {
      List<String> key = key(e.table(), k);
      for (Statement s : doc.statements()) {
        if (s.kind() == Kind.KEYVAL && s.fullKey().equals(key)) {
          String now = doc.textOf(s).trim();
          if (e.after().stream().anyMatch(l -> l.trim().equals(now))) {
            TomlText next = remove(new ArrayList<>(doc.lines()), s.first(), s.last() - s.first() + 1,
                e.addedFinalNewline());
            doc = next;
            removed++;
          } else {
            warnings.add(render(key) + " was changed since install; left as it is");
          }
          break;
        }
      }
    }
    if (block && removed == e.keys().size()) {
      doc = dropEmptyHeader(doc, e);
    } else if (block) {
      warnings.add("[" + TomlText.render(e.table()) + "] was changed since install; kept");
    }
    return doc;
  }

  private static TomlText dropEmptyHeader(TomlText doc, Edit e) {
    List<Statement> all = doc.statements();
    for (int i = 0; i < all.size(); i++) {
      Statement s = all.get(i);
      if (s.kind() == Kind.TABLE && s.table().equals(e.table())
          && (i + 1 == all.size() || all.get(i + 1).kind() != Kind.KEYVAL)) {
        List<String> lines = new ArrayList<>(doc.lines());
        boolean blankBefore = e.after().get(0).isBlank() && s.first() > 0
            && lines.get(s.first() - 1).isBlank();
        int from = blankBefore ? s.first() - 1 : s.first();
        return remove(lines, from, s.first() - from + 1, e.addedFinalNewline());
      }
    }
    return doc;
  }

  private static TomlText remove(List<String> lines, int from, int count, boolean unterminate) {
    for (int i = 0; i < count; i++) {
      lines.remove(from);
    }
    if (unterminate && from == lines.size() && from > 0) {
      lines.set(from - 1, TomlText.strip(lines.get(from - 1)));
    }
    return TomlText.ofLines(lines);
  }

  private static List<String> stripped(List<String> lines) {
    return lines.stream().map(TomlText::strip).toList();
  }

  private static List<String> key(List<String> table, String key) {
    List<String> k = new ArrayList<>(table);
    k.add(key);
    return k;
  }

  private static String render(List<String> key) {
    return TomlText.render(key);
  }
}
