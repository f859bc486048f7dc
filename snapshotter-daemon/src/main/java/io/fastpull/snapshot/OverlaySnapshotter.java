package io.fastpull.snapshot;

import io.fastpull.meta.Kind;
import io.fastpull.meta.MetaStore;
import io.fastpull.meta.MetaStore.Mode;
import io.fastpull.meta.SnapshotRecord;
import io.fastpull.meta.Transaction;
import io.fastpull.snapshot.SnapshotException.Code;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The overlayfs {@link Snapshotter}: semantics over {@link MetaStore}, layout {@link SnapshotDirs}. */
final class OverlaySnapshotter implements Snapshotter {
  private static final Logger log = LoggerFactory.getLogger(OverlaySnapshotter.class);
  /** Longest failure reason put in {@link #NOT_LAZY_LABEL} (containerd limits a label to 4 KiB). */
  private static final int MAX_REASON = 1024;

  private final MetaStore store;
  private final SnapshotDirs dirs;
  private final OverlayMounts overlay;
  private final RemoteLayers remote;
  private final LayerMounter mounter;
  private final RemoteLayerPolicy policy;
  private final Clock clock;
  private volatile boolean closed;

  private OverlaySnapshotter(
      MetaStore store, SnapshotDirs dirs, LayerMounter mounter, RemoteLayerPolicy policy, Clock clock) {
    this.store = store;
    this.dirs = dirs;
    this.overlay = new OverlayMounts(dirs);
    this.remote = new RemoteLayers(mounter);
    this.mounter = mounter;
    this.policy = policy;
    this.clock = clock;
  }

  static OverlaySnapshotter create(
      Path root, MetaStore store, LayerMounter mounter, RemoteLayerPolicy policy, Clock clock)
      throws IOException {
    return new OverlaySnapshotter(store, new SnapshotDirs(root), mounter, policy, clock);
  }

  @Override
  public List<Mount> prepare(String key, String parent, Map<String, String> labels)
      throws SnapshotException, IOException {
    Map<String, String> clean = clean(labels);
    Optional<String> target = policy.target(clean).filter(t -> !t.isEmpty());
    if (target.isPresent()) {
      rejectExistingTarget(target.get(), parent);
    }
    Created created = create(Kind.ACTIVE, key, parent, clean);
    if (target.isPresent()) {
      RemoteLayers.Attempt attempt = remote.tryMount(created.id, key, clean, dirs.fs(created.id));
      if (attempt.layer().isPresent()) {
        Map<String, String> committed = new HashMap<>(clean);
        committed.putAll(attempt.layer().get().labels());
        committed.put(LAZY_LABEL, key);
        commitRemote(created.id, key, target.get(), clean(committed));
      }
      if (attempt.failure().isPresent()) {
        labelNotLazy(created.id, attempt.failure().get());
      }
    }
    return overlay.of(Kind.ACTIVE, created.id, created.parents);
  }

  @Override
  public List<Mount> view(String key, String parent, Map<String, String> labels)
      throws SnapshotException, IOException {
    Created created = create(Kind.VIEW, key, parent, clean(labels));
    return overlay.of(Kind.VIEW, created.id, created.parents);
  }

  @Override
  public List<Mount> mounts(String key) throws SnapshotException, IOException {
    try (Transaction tx = begin(Mode.READ)) {
      SnapshotRecord r = find(tx, key);
      if (r.kind() == Kind.COMMITTED) {
        throw new SnapshotException(
            Code.FAILED_PRECONDITION, "snapshot " + key + " is committed: only active and view snapshots have mounts");
      }
      return overlay.of(r.kind(), r.id(), tx.ancestors(r.id()));
    }
  }

  @Override
  public void commit(String name, String key, Map<String, String> labels)
      throws SnapshotException, IOException {
    requireNonEmpty(name, "name");
    try (Transaction tx = begin(Mode.WRITE)) {
      SnapshotRecord r = find(tx, key);
      if (tx.get(name).isPresent()) {
        throw new SnapshotException(Code.ALREADY_EXISTS, "snapshot " + name + ": already exists");
      }
      if (r.kind() != Kind.ACTIVE) {
        throw new SnapshotException(
            Code.FAILED_PRECONDITION, "snapshot " + key + " is " + r.kind() + ", not active");
      }
      Usage u = r.remote() ? new Usage(0, 0) : SnapshotDirs.usage(dirs.fs(r.id()));
      tx.commitAs(r.id(), name, clean(labels), u.size(), u.inodes(), now());
      tx.commit();
    }
    log.info("snapshot committed key={} name={}", key, name);
  }

  @Override
  public void remove(String key) throws SnapshotException, IOException {
    SnapshotRecord r;
    try (Transaction tx = begin(Mode.WRITE)) {
      r = find(tx, key);
      if (tx.hasChildren(r.id())) {
        throw new SnapshotException(
            Code.FAILED_PRECONDITION, "cannot remove snapshot " + key + ": it has children");
      }
      tx.delete(r.id());
      tx.commit();
    }
    log.info("snapshot removed key={} id={}", key, r.id());
    // the record is gone: failures below leave an orphan directory for Cleanup
    try {
      if (r.remote()) {
        remote.unmount(r.id(), dirs.fs(r.id()), true);
      }
      SnapshotDirs.deleteTree(dirs.dir(r.id()));
    } catch (IOException e) {
      log.warn("snapshot directory left for cleanup key={} id={} error={}", key, r.id(), e.toString());
    }
  }

  @Override
  public Info stat(String key) throws SnapshotException, IOException {
    try (Transaction tx = begin(Mode.READ)) {
      return info(find(tx, key));
    }
  }

  @Override
  public Info update(Info info, List<String> fieldPaths) throws SnapshotException, IOException {
    requireNonEmpty(info.name(), "name");
    try (Transaction tx = begin(Mode.WRITE)) {
      SnapshotRecord r = find(tx, info.name());
      Map<String, String> labels = new HashMap<>(r.labels());
      if (fieldPaths.isEmpty()) {
        labels = new HashMap<>(info.labels());
      }
      for (String path : fieldPaths) {
        if (path.startsWith("labels.")) {
          String k = path.substring("labels.".length());
          String v = info.labels().getOrDefault(k, "");
          if (v.isEmpty()) {
            labels.remove(k);
          } else {
            labels.put(k, v);
          }
        } else if (path.equals("labels")) {
          labels = new HashMap<>(info.labels());
        } else {
          throw new SnapshotException(
              Code.INVALID_ARGUMENT,
              "cannot update field \"" + path + "\" of snapshot " + info.name() + ": only labels and labels.KEY are mutable");
        }
      }
      tx.setLabels(r.id(), clean(labels), now());
      SnapshotRecord updated = tx.get(r.id()).orElseThrow();
      tx.commit();
      return info(updated);
    }
  }

  @Override
  public void list(List<String> filters, Consumer<Info> sink) throws SnapshotException, IOException {
    SnapshotFilter filter = SnapshotFilter.parse(filters);
    List<Info> all = new ArrayList<>();
    try (Transaction tx = begin(Mode.READ)) {
      for (SnapshotRecord r : tx.list()) {
        all.add(info(r));
      }
    }
    all.stream().filter(filter::matches).forEach(sink);
  }

  @Override
  public Usage usage(String key) throws SnapshotException, IOException {
    SnapshotRecord r;
    try (Transaction tx = begin(Mode.READ)) {
      r = find(tx, key);
    }
    if (r.kind() == Kind.ACTIVE && !r.remote()) {
      return SnapshotDirs.usage(dirs.fs(r.id()));
    }
    return new Usage(r.size(), r.inodes());
  }

  @Override
  public void cleanup() throws IOException {
    List<Path> orphans;
    // under the write lock no snapshot can be created mid-scan; ids are never reused, so an
    // orphan stays an orphan after the lock is released
    try (Transaction tx = begin(Mode.WRITE)) {
      Set<Long> ids = new HashSet<>();
      for (SnapshotRecord r : tx.list()) {
        ids.add(r.id());
      }
      orphans = dirs.orphans(ids);
    }
    for (Path dir : orphans) {
      try {
        Path fs = dir.resolve("fs");
        if (Files.isDirectory(fs, LinkOption.NOFOLLOW_LINKS) && MountTable.isMountpoint(fs)) {
          remote.unmount(-1, fs, true);
        }
        SnapshotDirs.deleteTree(dir);
        log.info("orphan snapshot directory removed path={}", dir);
      } catch (IOException e) {
        log.warn("orphan snapshot directory not removed path={} error={}", dir, e.toString());
      }
    }
  }

  @Override
  public int recover() throws IOException {
    List<SnapshotRecord> remotes = new ArrayList<>();
    try (Transaction tx = begin(Mode.READ)) {
      for (SnapshotRecord r : tx.list()) {
        if (r.remote() && r.kind() == Kind.COMMITTED) {
          remotes.add(r);
        }
      }
    }
    int failed = 0;
    for (SnapshotRecord r : remotes) {
      if (!remote.remount(r.id(), r.key(), r.labels(), dirs.fs(r.id()))) {
        failed++;
      }
    }
    log.info("restart recovery done remote_layers={} failed={}", remotes.size(), failed);
    return failed;
  }

  @Override
  public int mountedLayers() {
    return remote.count();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    remote.unmountAll();
  }

  private record Created(long id, List<Long> parents) {}

  private Created create(Kind kind, String key, String parent, Map<String, String> labels)
      throws SnapshotException, IOException {
    requireNonEmpty(key, "key");
    try (Transaction tx = begin(Mode.WRITE)) {
      long parentId = 0;
      List<Long> parents = new ArrayList<>();
      if (!parent.isEmpty()) {
        SnapshotRecord p =
            tx.get(parent).orElseThrow(() -> SnapshotException.notFound("parent snapshot " + parent));
        if (p.kind() != Kind.COMMITTED) {
          throw new SnapshotException(
              Code.INVALID_ARGUMENT, "parent " + parent + " is " + p.kind() + ", not committed");
        }
        parentId = p.id();
        parents.add(p.id());
        parents.addAll(tx.ancestors(p.id()));
      }
      if (tx.get(key).isPresent()) {
        throw new SnapshotException(Code.ALREADY_EXISTS, "snapshot " + key + ": already exists");
      }
      Path staged = dirs.stage(kind);
      Path placed = null;
      try {
        SnapshotRecord r = tx.insert(key, kind, parentId, labels, now());
        if (parentId != 0) {
          Path parentFs = dirs.fs(parentId);
          Files.setAttribute(staged.resolve("fs"), "unix:uid", Files.getAttribute(parentFs, "unix:uid"));
          Files.setAttribute(staged.resolve("fs"), "unix:gid", Files.getAttribute(parentFs, "unix:gid"));
        }
        placed = Files.move(staged, dirs.dir(r.id()), StandardCopyOption.ATOMIC_MOVE);
        tx.commit();
        log.info("snapshot created kind={} key={} parent={} id={}", kind, key, parent, r.id());
        return new Created(r.id(), parents);
      } catch (IOException | RuntimeException e) {
        try {
          SnapshotDirs.deleteTree(placed != null ? placed : staged);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }
  }

  /**
   * Remote shortcut: the target is already here. containerd's metadata store finds a target in
   * the backend by its target label and parent, whatever its name (an ordinary unpack commits it
   * as {@code ns/N/chain-id}, with that label), and maps the namespace's chain id to the first
   * match; mounting the layer again would only add a match no namespace references.
   */
  private void rejectExistingTarget(String target, String parent)
      throws SnapshotException, IOException {
    try (Transaction tx = begin(Mode.READ)) {
      Optional<SnapshotRecord> t = standIn(tx, target, parent);
      if (t.isPresent()) {
        throw new SnapshotException(Code.ALREADY_EXISTS,
            "target snapshot " + target + ": already exists as " + t.get().key());
      }
    }
  }

  /** The committed snapshot containerd would take for {@code target} over {@code parent}. */
  private static Optional<SnapshotRecord> standIn(Transaction tx, String target, String parent)
      throws IOException {
    return tx.committedWithLabel(RemoteLayerPolicy.TARGET_LABEL, target, parent).stream()
        .findFirst();
  }

  /**
   * Commits the mounted layer of {@code id} for {@code target} and answers ALREADY_EXISTS, as
   * containerd expects of a remote snapshot. The name is the target when free; a chain id is
   * unique only together with its parent (the same chain id sits over the lazy base in one
   * namespace and over an unpacked copy of it in another), so when the name is taken by a
   * snapshot over another parent, the layer keeps the Prepare's key, which containerd made
   * unique. Discards the layer when a stand-in was committed meanwhile.
   */
  private void commitRemote(long id, String key, String target, Map<String, String> labels)
      throws SnapshotException, IOException {
    String name = null;
    try (Transaction tx = begin(Mode.WRITE)) {
      Optional<SnapshotRecord> r = tx.get(key);
      if (r.isEmpty() || r.get().id() != id) {
        throw SnapshotException.notFound("snapshot " + key + " (removed while its layer was mounted)");
      }
      if (standIn(tx, target, r.get().parentKey()).isPresent()) {
        tx.delete(id);
      } else {
        name = tx.get(target).isEmpty() ? target : key;
        tx.commitAs(id, name, labels, 0, 0, now());
        tx.setRemote(id, true);
      }
      tx.commit();
    } finally {
      if (name == null) {
        remote.unmount(id, dirs.fs(id), true);
        SnapshotDirs.deleteTree(dirs.dir(id));
      }
    }
    if (name == null) {
      log.info("remote layer discarded, target committed meanwhile key={} target={} id={}",
          key, target, id);
    } else {
      log.info("remote snapshot committed key={} target={} id={} name={}", key, target, id, name);
    }
    throw new SnapshotException(Code.ALREADY_EXISTS, "target snapshot " + target + ": already exists");
  }

  /**
   * Tells the client why the layer of active snapshot {@code id} is not mounted lazily (it goes
   * on to unpack it): {@link #NOT_LAZY_LABEL}, cut to a length containerd's label limit allows.
   */
  private void labelNotLazy(long id, String reason) throws IOException {
    String value = reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) + "..." : reason;
    try (Transaction tx = begin(Mode.WRITE)) {
      Optional<SnapshotRecord> r = tx.get(id);
      if (r.isPresent()) {
        Map<String, String> labels = new HashMap<>(r.get().labels());
        labels.put(NOT_LAZY_LABEL, value);
        tx.setLabels(id, labels, now());
        tx.commit();
      }
    }
  }

  private Info info(SnapshotRecord r) {
    Map<String, String> labels = r.labels();
    Optional<String> error = remote.remountError(r.id());
    if (error.isPresent()) {
      labels = new HashMap<>(labels);
      labels.put(REMOUNT_ERROR_LABEL, error.get());
    }
    if (r.remote() && !labels.containsKey(LAZY_LABEL)) {
      // committed by a daemon before the label existed, or its labels were replaced since
      labels = new HashMap<>(labels);
      labels.put(LAZY_LABEL, r.key());
    }
    return new Info(r.key(), r.parentKey(), r.kind(), r.created(), r.updated(), labels);
  }

  private SnapshotRecord find(Transaction tx, String key) throws SnapshotException, IOException {
    requireNonEmpty(key, "key");
    return tx.get(key).orElseThrow(() -> SnapshotException.notFound("snapshot " + key));
  }

  private Transaction begin(Mode mode) throws IOException {
    if (closed) {
      throw new IllegalStateException("snapshotter is closed");
    }
    return store.begin(mode);
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MICROS);
  }

  private static void requireNonEmpty(String value, String what) throws SnapshotException {
    if (value == null || value.isEmpty()) {
      throw new SnapshotException(Code.INVALID_ARGUMENT, "snapshot " + what + " must not be empty");
    }
  }

  /** Drops labels with empty values, as containerd's store does. */
  private static Map<String, String> clean(Map<String, String> labels) {
    Map<String, String> out = new HashMap<>();
    labels.forEach(
        (k, v) -> {
          if (v != null && !v.isEmpty()) {
            out.put(k, v);
          }
        });
    return out;
  }
}
