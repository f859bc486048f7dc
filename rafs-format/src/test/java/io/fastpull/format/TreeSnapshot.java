package io.fastpull.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Everything {@code stat}, {@code readlink}, {@code getfattr} and the bytes say about a directory
 * tree, keyed by relative path: the oracle that a mounted or unpacked layer is compared with.
 * Hard links are compared by grouping (which paths share an inode), not by inode number.
 */
public final class TreeSnapshot {
  /** One path's facts. {@code link} is the first path (in sorted order) sharing its inode. */
  public record Entry(String type, int mode, int uid, int gid, long size, long mtimeNanos,
      long rdev, int nlink, String content, String target, Map<String, String> xattrs,
      String link) {}

  private final Map<String, Entry> entries;

  private TreeSnapshot(Map<String, Entry> entries) {
    this.entries = entries;
  }

  public Map<String, Entry> entries() {
    return entries;
  }

  /**
   * Reads the tree under {@code root}.
   *
   * @param hashContent whether to hash file contents (false for huge sparse files)
   * @param ignoreDirMtime whether directory mtimes are left out (a mount point's own directory
   *     times may differ)
   */
  public static TreeSnapshot of(Path root, boolean hashContent, boolean ignoreDirMtime)
      throws IOException, InterruptedException {
    Map<String, Map<String, String>> xattrs = xattrs(root);
    Map<String, Entry> out = new TreeMap<>();
    Map<Object, String> firstByInode = new HashMap<>();
    List<Path> paths;
    try (Stream<Path> s = Files.walk(root)) {
      paths = new ArrayList<>(s.sorted().toList());
    }
    for (Path p : paths) {
      String rel = root.relativize(p).toString();
      if (rel.isEmpty()) {
        rel = ".";
      }
      Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
      int mode = (Integer) a.get("mode");
      String type = switch (mode & 0170000) {
        case 0040000 -> "dir";
        case 0100000 -> "file";
        case 0120000 -> "symlink";
        case 0020000 -> "char";
        case 0060000 -> "block";
        case 0010000 -> "fifo";
        default -> "other";
      };
      long mtime = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
      if (type.equals("dir") && ignoreDirMtime) {
        mtime = 0;
      }
      Object key = a.get("fileKey");
      String link = "";
      if (!type.equals("dir")) {
        link = firstByInode.computeIfAbsent(key, k -> p.toString());
        link = root.relativize(Path.of(link)).toString();
      }
      String content = "";
      if (type.equals("file") && hashContent) {
        content = sha256(p);
      }
      String target = type.equals("symlink") ? Files.readSymbolicLink(p).toString() : "";
      long size = type.equals("dir") ? 0 : (Long) a.get("size");
      out.put(rel, new Entry(type, mode, (Integer) a.get("uid"), (Integer) a.get("gid"), size,
          mtime, (Long) a.get("rdev"), type.equals("dir") ? 0 : (Integer) a.get("nlink"),
          content, target, xattrs.getOrDefault(rel, Map.of()), link));
    }
    return new TreeSnapshot(out);
  }

  private static String sha256(Path p) throws IOException {
    MessageDigest md = Digests.sha256();
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(p)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** All xattrs of every path, via getfattr (the JDK sees only the user namespace). */
  private static Map<String, Map<String, String>> xattrs(Path root)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder("getfattr", "-R", "-h", "-d", "-m", "-", "-e", "hex",
        "--absolute-names", root.toString()).redirectErrorStream(false).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.getErrorStream().readAllBytes();
    p.waitFor();
    Map<String, Map<String, String>> out = new HashMap<>();
    String current = null;
    for (String line : text.split("\n")) {
      if (line.startsWith("# file: ")) {
        String rel = root.relativize(Path.of(line.substring(8))).toString();
        current = rel.isEmpty() ? "." : rel;
      } else if (!line.isBlank() && current != null) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          out.computeIfAbsent(current, k -> new TreeMap<>())
              .put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
    }
    return out;
  }

  /** A readable list of differences, empty when the trees agree. */
  public List<String> diff(TreeSnapshot other) {
    List<String> d = new ArrayList<>();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      Entry o = other.entries.get(e.getKey());
      if (o == null) {
        d.add("only in expected: " + e.getKey());
      } else if (!o.equals(e.getValue())) {
        d.add(e.getKey() + ":\n  expected " + e.getValue() + "\n  actual   " + o);
      }
    }
    for (String k : other.entries.keySet()) {
      if (!entries.containsKey(k)) {
        d.add("only in actual: " + k);
      }
    }
    return d;
  }
}
