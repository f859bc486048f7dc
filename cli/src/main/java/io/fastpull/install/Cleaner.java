package io.fastpull.install;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fastpull.install.InstallException.Code;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code fastpull clean}: removes, through {@code ctr}, the containers whose snapshotter is
 * fastpull, the images unpacked into fastpull, every fastpull snapshot (children first), then the
 * chunk cache. Checks first and refuses (changing nothing) when one of those containers has a
 * task that is not stopped. Not thread-safe; one run per instance.
 */
public final class Cleaner {
  private static final String SNAPSHOTTER = "fastpull";
  private static final String GC_LABEL = "containerd.io/gc.ref.snapshot." + SNAPSHOTTER;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Ctr ctr;
  private final Optional<String> namespace;
  private final boolean dryRun;
  private final Optional<Path> cacheDir;
  private final PrintWriter out;

  /**
   * @param address containerd's socket, empty for ctr's default
   * @param namespace one namespace, empty for all of them
   * @param cacheDir the chunk cache to empty, empty to keep it
   */
  public Cleaner(Optional<Path> address, Optional<String> namespace, boolean dryRun,
      Optional<Path> cacheDir, PrintWriter out) {
    this.ctr = new Ctr(address);
    this.namespace = namespace;
    this.dryRun = dryRun;
    this.cacheDir = cacheDir;
    this.out = out;
  }

  private record Plan(String ns, Map<String, String> containers, Set<String> images,
      List<String> snapshots) {}

  /**
   * Lists, prints and (unless a dry run) removes.
   *
   * @throws InstallException BUSY when a fastpull container has a task that is not stopped
   */
  public void run() throws IOException {
    List<String> namespaces = namespace.isPresent() ? List.of(namespace.get())
        : ctr.run(List.of("namespaces", "ls", "-q")).lines().filter(l -> !l.isBlank()).toList();
    List<Plan> plans = new ArrayList<>();
    List<String> busy = new ArrayList<>();
    for (String ns : namespaces) {
      Plan p = plan(ns);
      p.containers().forEach((id, status) -> {
        if (!status.isEmpty() && !status.equals("STOPPED")) {
          busy.add("container " + id + " in namespace " + ns + " has a " + status + " task");
        }
      });
      plans.add(p);
    }
    if (!busy.isEmpty()) {
      throw new InstallException(Code.BUSY, String.join("; ", busy) + ": fastpull clean stops"
          + " nothing; stop those tasks first (ctr -n NS tasks kill ID); nothing was removed");
    }
    out.println(dryRun ? "fastpull clean: dry run, nothing is removed" : "fastpull clean");
    for (Plan p : plans) {
      p.containers().forEach((id, status) -> out.println("container " + p.ns() + "/" + id
          + (status.isEmpty() ? "" : " (task " + status + ")")));
      p.images().forEach(i -> out.println("image     " + p.ns() + "/" + i));
      p.snapshots().forEach(s -> out.println("snapshot  " + p.ns() + "/" + s));
    }
    List<Path> chunks = chunks();
    if (!chunks.isEmpty()) {
      out.println("cache     " + chunks.size() + " chunks in " + cacheDir.get());
    }
    if (plans.stream().allMatch(p -> p.containers().isEmpty() && p.images().isEmpty()
        && p.snapshots().isEmpty()) && chunks.isEmpty()) {
      out.println("nothing to clean");
    }
    if (dryRun) {
      out.flush();
      return;
    }
    for (Plan p : plans) {
      for (Map.Entry<String, String> c : p.containers().entrySet()) {
        if (!c.getValue().isEmpty()) {
          ctr.run(List.of("-n", p.ns(), "tasks", "rm", c.getKey()));
        }
        ctr.run(List.of("-n", p.ns(), "containers", "rm", c.getKey()));
      }
      if (!p.images().isEmpty()) {
        List<String> cmd = new ArrayList<>(List.of("-n", p.ns(), "images", "rm", "--sync"));
        cmd.addAll(p.images());
        ctr.run(cmd);
      }
      removeSnapshots(p.ns());
    }
    for (Path c : chunks) {
      Files.deleteIfExists(c);
    }
    out.println("cleaned");
    out.flush();
  }

  private Plan plan(String ns) throws IOException {
    Map<String, String> tasks = new HashMap<>();
    for (String line : rows(ctr.run(List.of("-n", ns, "tasks", "ls")))) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 3) {
        tasks.put(f[0], f[2]);
      }
    }
    Map<String, String> containers = new LinkedHashMap<>();
    for (String id : ctr.run(List.of("-n", ns, "containers", "ls", "-q")).lines()
        .filter(l -> !l.isBlank()).toList()) {
      JsonNode info = JSON.readTree(ctr.run(List.of("-n", ns, "containers", "info", id)));
      if (SNAPSHOTTER.equals(info.path("Snapshotter").asText())) {
        containers.put(id, tasks.getOrDefault(id, ""));
      }
    }
    Set<String> configs = new LinkedHashSet<>();
    for (String line : rows(ctr.run(List.of("-n", ns, "content", "ls")))) {
      if (line.contains(GC_LABEL + "=") || line.contains(GC_LABEL + "/")) {
        configs.add(line.trim().split("\\s+")[0]);
      }
    }
    Set<String> images = new LinkedHashSet<>();
    if (!configs.isEmpty()) {
      for (String line : rows(ctr.run(List.of("-n", ns, "images", "ls")))) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 3 && !java.util.Collections.disjoint(configsOf(ns, f[2]), configs)) {
          images.add(f[0]);
        }
      }
    }
    List<String> snapshots = leavesFirst(snapshotTree(ns));
    return new Plan(ns, containers, images, snapshots);
  }

  /** The config digests an image's target (a manifest or an index) leads to. */
  private Set<String> configsOf(String ns, String digest) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    Optional<String> body = ctr.tryRun(List.of("-n", ns, "content", "get", digest));
    if (body.isEmpty()) {
      return out;
    }
    JsonNode n = JSON.readTree(body.get());
    if (n.has("config")) {
      out.add(n.path("config").path("digest").asText());
    }
    for (JsonNode m : n.path("manifests")) {
      out.addAll(configsOf(ns, m.path("digest").asText()));
    }
    return out;
  }

  private Map<String, String> snapshotTree(String ns) throws IOException {
    Map<String, String> parent = new LinkedHashMap<>();
    for (String line : rows(ctr.run(List.of("-n", ns, "snapshots", "--snapshotter", SNAPSHOTTER,
        "ls")))) {
      String[] f = line.trim().split("\\s+");
      // KEY PARENT KIND; a snapshot without a parent has only KEY and KIND
      parent.put(f[0], f.length >= 3 ? f[1] : "");
    }
    return parent;
  }

  private static List<String> leavesFirst(Map<String, String> parent) {
    List<String> order = new ArrayList<>();
    Map<String, String> left = new LinkedHashMap<>(parent);
    while (!left.isEmpty()) {
      Set<String> parents = new LinkedHashSet<>(left.values());
      List<String> leaves = left.keySet().stream().filter(k -> !parents.contains(k)).toList();
      if (leaves.isEmpty()) {
        order.addAll(left.keySet()); // a cycle cannot happen; do not loop forever if it does
        break;
      }
      order.addAll(leaves);
      leaves.forEach(left::remove);
    }
    return order;
  }

  private void removeSnapshots(String ns) throws IOException {
    for (String key : leavesFirst(snapshotTree(ns))) {
      ctr.run(List.of("-n", ns, "snapshots", "--snapshotter", SNAPSHOTTER, "rm", key));
    }
  }

  private List<Path> chunks() throws IOException {
    List<Path> out = new ArrayList<>();
    if (cacheDir.isEmpty() || !Files.isDirectory(cacheDir.get())) {
      return out;
    }
    try (DirectoryStream<Path> shards = Files.newDirectoryStream(cacheDir.get(), "[0-9a-f][0-9a-f]")) {
      for (Path shard : shards) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(shard)) {
          for (Path p : ds) {
            if (p.getFileName().toString().matches("[0-9a-f]{64}")) {
              out.add(p);
            }
          }
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** Table output without its header line. */
  private static List<String> rows(String table) {
    return table.lines().skip(1).filter(l -> !l.isBlank()).toList();
  }
}
