package io.fastpull.registry;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OCI 1.1 referrers against one endpoint: lists the artifacts that name a subject manifest, and pushes such
 * an artifact.
 *
 * <p>Two ways to find referrers, as the distribution spec lays out: the referrers API ({@code GET
 * /v2/NAME/referrers/DIGEST}, an image index built by the registry), and for registries without it (404,
 * 405 or 400 there; distribution 2.8 answers 404) the <em>referrers tag</em> {@code ALG-HEX} (see {@link
 * #tag}) whose image index the clients maintain themselves. Stateless apart from the clock; thread-safe,
 * except that concurrent pushes for one subject race on the referrers tag (see {@link #push}).
 */
final class Referrers {
  private static final Logger LOG = LoggerFactory.getLogger(Referrers.class);
  static final String CREATED = "org.opencontainers.image.created";
  private static final byte[] EMPTY_JSON = "{}".getBytes(StandardCharsets.UTF_8);
  private static final int MAX_INDEX_BYTES = 4 << 20;
  private static final int MAX_PAGES = 64;
  private static final Pattern NEXT_LINK = Pattern.compile("<([^>]*)>\\s*;[^,]*rel=\"?next\"?");

  private final Transport transport;
  private final ManifestReads manifests;
  private final BlobUploads uploads;
  private final Clock clock;

  Referrers(Transport transport, ManifestReads manifests, BlobUploads uploads, Clock clock) {
    this.transport = transport;
    this.manifests = manifests;
    this.uploads = uploads;
    this.clock = clock;
  }

  /**
   * The referrers tag of {@code subject}: {@code ALG-HEX}, the algorithm cut to 32 and the hex to 64
   * characters so the tag stays within the 128 a tag may have.
   */
  static String tag(Digest subject) {
    String alg = subject.algorithm();
    String hex = subject.hex();
    return alg.substring(0, Math.min(alg.length(), 32)) + "-" + hex.substring(0, Math.min(hex.length(), 64));
  }

  /**
   * The referrers of {@code subject} whose artifactType equals {@code artifactType} (all when null). A
   * mirror without the referrers tag throws NOT_FOUND so the next endpoint is asked; elsewhere absence is
   * an empty list.
   */
  List<Descriptor> list(Endpoint ep, ImageReference repo, Digest subject, String artifactType) throws IOException {
    Optional<List<Descriptor>> all = fromApi(ep, repo, subject, artifactType);
    if (all.isEmpty()) {
      Optional<Index> index = readTag(ep, repo, subject);
      if (index.isEmpty() && ep.mirror()) {
        throw RegistryException.builder(RegistryException.Kind.NOT_FOUND, "GET referrers of " + subject)
            .host(ep.authority())
            .repository(repo.repository())
            .detail("mirror has neither the referrers API nor tag " + tag(subject))
            .build();
      }
      all = Optional.of(index.map(Index::manifests).orElse(List.of()));
    }
    // Registries may ignore the filter (they say so by omitting OCI-Filters-Applied); the tag has none.
    return all.get().stream().filter(d -> artifactType == null || artifactType.equals(d.artifactType())).toList();
  }

  /**
   * Pushes the empty config blob, {@code blob} and an artifact manifest referring to {@code subject} (by
   * digest, no tag), then, unless the registry acknowledges the subject with {@code OCI-Subject}, adds the
   * manifest to the referrers tag's index. The subject is recorded by media type, digest and size only.
   * {@code org.opencontainers.image.created} is set from the clock unless {@code annotations} has it; with
   * it fixed, the manifest's digest is a function of the inputs and pushing again changes nothing.
   *
   * <p>The tag update is read-modify-write without a lock (the distribution API has no conditional PUT):
   * a concurrent push for the same subject may overwrite it and drop this entry. The manifest itself is
   * safe; pushing again restores the entry.
   */
  Descriptor push(Endpoint ep, ImageReference repo, Descriptor subject, String artifactType, String blobMediaType,
      byte[] blob, Map<String, String> annotations) throws IOException {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(blob, "blob");
    if (artifactType == null || artifactType.isEmpty() || blobMediaType == null || blobMediaType.isEmpty()) {
      throw new IllegalArgumentException(
          "referrer needs an artifactType and a blob media type, got " + artifactType + " and " + blobMediaType);
    }
    Map<String, String> ann = new HashMap<>(annotations == null ? Map.of() : annotations);
    ann.putIfAbsent(CREATED, clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    Descriptor config = Descriptor.of(MediaTypes.OCI_EMPTY, EMPTY_JSON);
    Descriptor payload = Descriptor.of(blobMediaType, blob);
    pushBlob(ep, repo, config, EMPTY_JSON);
    pushBlob(ep, repo, payload, blob);
    Descriptor about = Descriptor.of(subject.mediaType(), subject.digest(), subject.size());
    byte[] bytes =
        new Manifest(2, MediaTypes.OCI_MANIFEST, artifactType, config, List.of(payload), about, ann).toJson();
    Descriptor entry =
        new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(bytes), bytes.length, ann, null, null, artifactType);
    BlobUploads.PushedManifest pushed =
        uploads.manifest(ep, repo.withDigest(entry.digest()), MediaTypes.OCI_MANIFEST, bytes);
    if (pushed.subject().filter(subject.digest().toString()::equals).isPresent()) {
      LOG.debug("referrer pushed repository={} subject={} referrer={} indexed_by=registry",
          repo.repository(), subject.digest(), entry.digest());
      return entry;
    }
    addToTag(ep, repo, subject.digest(), entry);
    LOG.debug("referrer pushed repository={} subject={} referrer={} indexed_by=tag",
        repo.repository(), subject.digest(), entry.digest());
    return entry;
  }

  private Optional<List<Descriptor>> fromApi(Endpoint ep, ImageReference repo, Digest subject, String artifactType)
      throws IOException {
    URI uri = ep.resolve(repo.repository() + "/referrers/" + subject,
        artifactType == null ? null : "artifactType=" + URLEncoder.encode(artifactType, StandardCharsets.UTF_8));
    List<Descriptor> out = new ArrayList<>();
    for (int page = 0; page < MAX_PAGES; page++) {
      Transport.Call call = new Transport.Call("GET", ep, uri, Map.of("Accept", MediaTypes.OCI_INDEX), null,
          RegistryClient.pullScope(repo.repository()), true, "GET referrers of " + subject, repo.repository());
      byte[] body;
      Optional<String> link;
      try (Transport.Reply r = transport.send(call)) {
        int st = r.status();
        if (page == 0 && (st == 404 || st == 405 || st == 400)) {
          LOG.debug("referrers API absent, using tag host={} repository={} status={}", ep.authority(), repo.repository(), st);
          return Optional.empty();
        }
        if (st != 200) throw transport.error(r, call);
        body = r.body().readNBytes(MAX_INDEX_BYTES + 1);
        link = r.header("Link");
      }
      if (body.length > MAX_INDEX_BYTES) {
        throw protocol(call, "referrers page larger than " + MAX_INDEX_BYTES + " bytes");
      }
      out.addAll(Json.read(body, Index.class, "referrers of " + subject).manifests());
      Optional<URI> next = nextPage(link, uri, call);
      if (next.isEmpty()) return Optional.of(out);
      uri = next.get();
    }
    throw RegistryException.builder(RegistryException.Kind.PROTOCOL, "GET referrers of " + subject)
        .host(ep.authority())
        .repository(repo.repository())
        .detail("more than " + MAX_PAGES + " pages of referrers")
        .build();
  }

  /** The next page from a {@code Link: <URL>; rel="next"} header; it must stay on the endpoint's origin. */
  private static Optional<URI> nextPage(Optional<String> link, URI current, Transport.Call call)
      throws RegistryException {
    if (link.isEmpty()) return Optional.empty();
    Matcher m = NEXT_LINK.matcher(link.get());
    if (!m.find()) return Optional.empty();
    URI next;
    try {
      next = current.resolve(m.group(1));
    } catch (IllegalArgumentException e) {
      throw protocol(call, "bad Link header " + link.get());
    }
    if (!Transport.sameOrigin(next, call.endpoint().base())) {
      throw protocol(call, "Link header leads to another origin: " + next.getRawAuthority());
    }
    return Optional.of(next);
  }

  /** The referrers tag's index, or empty when the tag (or the repository) does not exist. */
  private Optional<Index> readTag(Endpoint ep, ImageReference repo, Digest subject) throws IOException {
    ManifestContent c;
    try {
      c = manifests.fetch(ep, repo.withTag(tag(subject)));
    } catch (RegistryException e) {
      if (e.kind() == RegistryException.Kind.NOT_FOUND) return Optional.empty();
      throw e;
    }
    if (!c.isIndex()) {
      throw RegistryException.builder(RegistryException.Kind.PROTOCOL, "read referrers tag " + tag(subject))
          .host(ep.authority())
          .repository(repo.repository())
          .detail("the tag holds a " + c.mediaType() + ", not an image index; something else uses this tag name")
          .build();
    }
    return Optional.of(c.index());
  }

  private void addToTag(Endpoint ep, ImageReference repo, Digest subject, Descriptor entry) throws IOException {
    Optional<Index> current = readTag(ep, repo, subject);
    if (current.isPresent() && current.get().manifests().contains(entry)) {
      return;
    }
    List<Descriptor> entries = new ArrayList<>();
    for (Descriptor d : current.map(Index::manifests).orElse(List.of())) {
      if (!d.digest().equals(entry.digest())) entries.add(d);
    }
    entries.add(entry);
    Map<String, String> indexAnnotations = current.map(Index::annotations).orElse(null);
    ImageReference tagRef = repo.withTag(tag(subject));
    try {
      putIndex(ep, tagRef, entries, indexAnnotations);
    } catch (RegistryException e) {
      // Registries check that every listed manifest exists: a referrer deleted since leaves a dead entry.
      if (!e.errorCode().filter("MANIFEST_BLOB_UNKNOWN"::equals).isPresent()) throw e;
      List<Descriptor> live = new ArrayList<>();
      for (Descriptor d : entries) {
        if (d == entry || exists(ep, repo, d.digest())) live.add(d);
      }
      LOG.info("dropping deleted referrers from tag repository={} tag={} dropped={}",
          repo.repository(), tagRef.tag(), entries.size() - live.size());
      putIndex(ep, tagRef, live, indexAnnotations);
    }
  }

  private void putIndex(Endpoint ep, ImageReference tagRef, List<Descriptor> entries, Map<String, String> annotations)
      throws IOException {
    byte[] json = new Index(2, MediaTypes.OCI_INDEX, null, entries, null, annotations).toJson();
    uploads.manifest(ep, tagRef, MediaTypes.OCI_INDEX, json);
  }

  private boolean exists(Endpoint ep, ImageReference repo, Digest digest) throws IOException {
    try {
      manifests.resolve(ep, repo.withDigest(digest));
      return true;
    } catch (RegistryException e) {
      if (e.kind() == RegistryException.Kind.NOT_FOUND) return false;
      throw e;
    }
  }

  private void pushBlob(Endpoint ep, ImageReference repo, Descriptor d, byte[] data) throws IOException {
    uploads.pushIfAbsent(ep, repo, d.digest(), data);
  }

  private static RegistryException protocol(Transport.Call call, String detail) {
    return RegistryException.builder(RegistryException.Kind.PROTOCOL, call.what())
        .host(call.endpoint().authority())
        .repository(call.repository())
        .detail(detail)
        .build();
  }
}
