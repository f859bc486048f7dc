package io.fastpull.profile;

import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.RegistryClient;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the startup profile stored for an image: the newest OCI referrer of the image manifest
 * with artifactType {@link StartupProfile#ARTIFACT_TYPE} ("newest" by its {@code
 * org.opencontainers.image.created} annotation; among equal or missing dates, the last listed).
 *
 * <p>Results are cached per repository and manifest digest, "no profile" included, for the
 * configured time (a failed lookup for at most a minute), in a map of bounded size; concurrent
 * lookups of one manifest (the layers of one image mounting together) share one registry
 * round. Thread-safe.
 */
public final class ProfileResolver {
  private static final Logger log = LoggerFactory.getLogger(ProfileResolver.class);
  public static final Duration DEFAULT_TTL = Duration.ofMinutes(10);
  public static final int DEFAULT_MAX_ENTRIES = 256;
  /** Short, so that a registry hiccup does not turn profiles off for long. */
  private static final Duration FAILURE_TTL = Duration.ofMinutes(1);
  private static final String CREATED = "org.opencontainers.image.created";

  private final RegistryClient client;
  private final Executor executor;
  private final Clock clock;
  private final Duration ttl;
  private final int maxEntries;
  // guarded by this; insertion order is age order, for eviction
  private final Map<String, Entry> entries = new LinkedHashMap<>();

  private record Found(Optional<StartupProfile> profile, boolean failed) {}

  private record Entry(CompletableFuture<Found> result, Instant started) {}

  /**
   * @param executor runs the registry requests; owned by the caller
   * @param ttl how long a result (also "no profile") is reused
   * @param maxEntries bound on cached manifests; the oldest go first
   */
  public ProfileResolver(RegistryClient client, Executor executor, Clock clock, Duration ttl,
      int maxEntries) {
    this.client = Objects.requireNonNull(client, "client");
    this.executor = Objects.requireNonNull(executor, "executor");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (ttl.isNegative() || maxEntries < 1) {
      throw new IllegalArgumentException("bad profile cache bounds ttl=" + ttl
          + " maxEntries=" + maxEntries);
    }
    this.ttl = ttl;
    this.maxEntries = maxEntries;
  }

  /**
   * The profile for image manifest {@code manifest} in {@code repo}. Returns at once; the
   * registry is asked on the executor unless a cached result applies.
   *
   * @return a future that never fails: empty when the image has no profile, or when the lookup
   *     failed (a registry error, a profile that does not parse); a failure is logged once at
   *     WARN with the repository and digest
   */
  public CompletableFuture<Optional<StartupProfile>> lookup(ImageReference repo, Digest manifest) {
    String key = repo.registry() + "/" + repo.repository() + "@" + manifest;
    Instant now = clock.instant();
    CompletableFuture<Found> mine;
    synchronized (this) {
      Entry e = entries.get(key);
      if (e != null && !expired(e, now)) {
        return e.result().thenApply(Found::profile);
      }
      entries.remove(key);
      mine = new CompletableFuture<>();
      entries.put(key, new Entry(mine, now));
      trim(now);
    }
    try {
      executor.execute(() -> mine.complete(fetch(repo, manifest)));
    } catch (RejectedExecutionException closing) {
      mine.complete(new Found(Optional.empty(), true));
    }
    return mine.thenApply(Found::profile);
  }

  private boolean expired(Entry e, Instant now) {
    if (!e.result().isDone()) {
      return false;
    }
    Duration keep = e.result().join().failed() && FAILURE_TTL.compareTo(ttl) < 0 ? FAILURE_TTL : ttl;
    return !now.isBefore(e.started().plus(keep));
  }

  // guarded by this
  private void trim(Instant now) {
    entries.values().removeIf(e -> entries.size() > maxEntries && expired(e, now));
    Iterator<Entry> oldest = entries.values().iterator();
    while (entries.size() > maxEntries && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
  }

  private Found fetch(ImageReference repo, Digest manifest) {
    String where = repo.registry() + "/" + repo.repository();
    try {
      Optional<Descriptor> newest =
          newest(client.referrers(repo, manifest, StartupProfile.ARTIFACT_TYPE));
      if (newest.isEmpty()) {
        log.debug("no startup profile repo={} manifest={}", where, manifest);
        return new Found(Optional.empty(), false);
      }
      Digest artifact = newest.get().digest();
      Manifest m = client.fetchManifest(repo.withDigest(artifact)).manifest();
      Descriptor blob = m.layers().stream()
          .filter(d -> StartupProfile.MEDIA_TYPE.equals(d.mediaType()))
          .findFirst()
          .orElseThrow(() -> new IOException("profile artifact " + artifact
              + " has no blob of media type " + StartupProfile.MEDIA_TYPE));
      StartupProfile p = StartupProfile.fromJson(
          client.readBlob(repo, blob.digest(), StartupProfile.MAX_BYTES));
      if (!p.image().equals(manifest.toString())) {
        throw new IOException("profile artifact " + artifact + " was recorded for image "
            + p.image());
      }
      log.info("startup profile found repo={} manifest={} artifact={} layers={}", where,
          manifest, artifact, p.layers().size());
      return new Found(Optional.of(p), false);
    } catch (IOException | RuntimeException e) {
      log.warn("startup profile lookup failed, using prefetch tables repo={} manifest={} error={}",
          where, manifest, e.toString());
      return new Found(Optional.empty(), true);
    }
  }

  /** The newest descriptor of the profile artifact type (the registry may not filter). */
  static Optional<Descriptor> newest(List<Descriptor> referrers) {
    Descriptor best = null;
    Instant bestAt = null;
    for (Descriptor d : referrers) {
      if (!StartupProfile.ARTIFACT_TYPE.equals(d.artifactType())) {
        continue;
      }
      Instant at = created(d);
      if (best == null || !at.isBefore(bestAt)) {
        best = d;
        bestAt = at;
      }
    }
    return Optional.ofNullable(best);
  }

  private static Instant created(Descriptor d) {
    String s = d.annotations().get(CREATED);
    if (s == null) {
      return Instant.MIN;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      return Instant.MIN;
    }
  }
}
