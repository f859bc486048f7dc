package io.fastpull.daemon;

import static io.fastpull.daemon.Calls.assertCode;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.format.LayerWriter;
import io.fastpull.format.Layers;
import io.fastpull.format.LazyLayer;
import io.fastpull.format.Privileges;
import io.fastpull.proto.control.v1.LayerStatus;
import io.fastpull.proto.control.v1.LayersRequest;
import io.fastpull.registry.Descriptor;
import io.fastpull.registry.Digest;
import io.fastpull.registry.ImageReference;
import io.fastpull.registry.Manifest;
import io.fastpull.registry.MediaTypes;
import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.auth.CredentialStore;
import io.fastpull.registry.auth.Credentials;
import io.fastpull.registry.testing.LocalRegistry;
import io.fastpull.registry.testing.TokenServer;
import io.fastpull.snapshot.RemoteLayerPolicy;
import io.grpc.Status.Code;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bearer token that expires while a container reads a lazy layer: Debian's registry in token
 * mode with a token server whose tokens the registry refuses 2 s after issue (while {@code
 * expires_in} says 300 s, so the client finds out by a 401, as with clock skew or early
 * revocation), a real daemon that reads its credentials from a docker config file and mounts the
 * layer over FUSE through its own remote stack. Reads spread over several token lifetimes, and a
 * burst of concurrent reads after an expiry, all return the right bytes: no EIO.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TokenExpiryTest {
  private static final int CHUNK = 64 << 10;
  private static final int FILES = 24;
  private static final String USER = "reader";
  private static final String PASSWORD = "s3cret-pass";

  @TempDir Path dir;
  private LocalRegistry registry;
  private RegistryClient client;
  private SnapshotterDaemon daemon;
  private DaemonClient socket;

  @BeforeEach
  void start() throws Exception {
    Privileges.requireRoot();
    TokenServer tokens = TokenServer.start(Files.createDirectories(dir.resolve("tokens")),
        Map.of(USER, PASSWORD));
    registry = LocalRegistry.builder(dir.resolve("registry")).tokenAuth(tokens).start();
    client = RegistryClient.builder().plainHttp(registry.host())
        .credentials(CredentialStore.of(Map.of(registry.host(), new Credentials(USER, PASSWORD))))
        .build();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (socket != null) {
        socket.close();
      }
      if (daemon != null) {
        daemon.close();
      }
    } finally {
      try {
        HostMounts.unmountAllUnder(dir, true);
      } finally {
        if (client != null) {
          client.close();
        }
        if (registry != null) {
          registry.close();
        }
      }
    }
  }

  @Test
  void readsAcrossTokenExpiriesRefreshTheTokenAndNeverFail() throws Exception {
    List<byte[]> files = new ArrayList<>();
    for (int i = 0; i < FILES; i++) {
      files.add(Layers.bytes(CHUNK - 100, 500 + i, false));
    }
    byte[] tar = Layers.tar(w -> {
      Layers.dir(w, "data/", 0755);
      for (int i = 0; i < FILES; i++) {
        Layers.file(w, "data/f" + i, files.get(i));
      }
    });
    ImageReference ref = ImageReference.parse(registry.host() + "/secure/app:1");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerWriter.Result r = new LayerWriter(LayerWriter.Options.withChunkSize(CHUNK))
        .write(new ByteArrayInputStream(tar), out);
    byte[] blob = out.toByteArray();
    Digest layer = client.pushBlob(ref, blob);
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        + "\"diff_ids\":[\"" + r.diffId() + "\"]}}").getBytes(StandardCharsets.UTF_8);
    Digest configDigest = client.pushBlob(ref, config);
    byte[] manifest = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, configDigest,
        config.length), List.of(new Descriptor(LazyLayer.MEDIA_TYPE, layer, blob.length,
        LazyLayer.annotations(r.footer(), r.diffId(), MediaTypes.OCI_LAYER_TAR, tar.length,
            r.diffId()), null, null))).toJson();
    client.pushManifest(ref, MediaTypes.OCI_MANIFEST, manifest);

    // From here on the registry refuses each token 2 s after it was issued.
    registry.tokenServer().registryLifetime(Duration.ofSeconds(2));
    Path dockerConfig = dir.resolve("docker/config.json");
    Files.createDirectories(dockerConfig.getParent());
    String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD)
        .getBytes(StandardCharsets.UTF_8));
    Files.writeString(dockerConfig, "{\"auths\":{\"" + registry.host() + "\":{\"auth\":\"" + auth
        + "\"}}}");
    DaemonConfig cfg = DaemonHarness.config(dir.resolve("d")).toBuilder()
        .lazy(true)
        .hostsDir(Optional.empty())
        .dockerConfig(Optional.of(dockerConfig))
        .plainHttp(List.of(registry.host()))
        .readTimeout(Duration.ofSeconds(20))
        .cacheSizeBytes(64L << 20)
        .backgroundFetch(false)
        .build();
    daemon = SnapshotterDaemon.builder(cfg).start();
    socket = new DaemonClient(cfg.socket());
    Map<String, String> labels = Map.of(
        RemoteLayerPolicy.TARGET_LABEL, "sha256:" + "e".repeat(63) + "1",
        RemoteLayerPolicy.LAYER_DIGEST_LABEL, layer.toString(),
        RemoteLayerPolicy.IMAGE_REF_LABEL, ref.toString(),
        RemoteLayerPolicy.MANIFEST_DIGEST_LABEL, Digest.sha256(manifest).toString());
    assertCode(Code.ALREADY_EXISTS, () -> socket.calls.prepare("default/1/extract-1", "",
        labels));
    List<LayerStatus> layers = socket.control().layers(LayersRequest.newBuilder()
        .addBlobDigests(layer.toString()).build()).getLayersList();
    assertEquals(1, layers.size(), layers::toString);
    Path mnt = Path.of(layers.get(0).getMountpoint());
    int issuedAtMount = registry.tokenServer().issued();
    long refusedAtMount = blobRefusals();

    // One file every 250 ms: about three token lifetimes, each chunk fetched on demand.
    int half = FILES / 2;
    for (int i = 0; i < half; i++) {
      assertArrayEquals(files.get(i), Files.readAllBytes(mnt.resolve("data/f" + i)), "f" + i);
      Thread.sleep(250);
    }
    // Past another expiry, the rest at once from 6 threads: concurrent 401s, each answered.
    Thread.sleep(2500);
    ExecutorService pool = Executors.newFixedThreadPool(6);
    try {
      List<Future<byte[]>> reads = new ArrayList<>();
      for (int i = half; i < FILES; i++) {
        Path f = mnt.resolve("data/f" + i);
        reads.add(pool.submit(() -> Files.readAllBytes(f)));
      }
      for (int i = half; i < FILES; i++) {
        assertArrayEquals(files.get(i), reads.get(i - half).get(60, TimeUnit.SECONDS), "f" + i);
      }
    } finally {
      pool.shutdownNow();
    }

    long refused = blobRefusals() - refusedAtMount;
    int issued = registry.tokenServer().issued() - issuedAtMount;
    System.out.println("token expiry: blob GETs refused=" + refused + " tokens issued=" + issued);
    assertTrue(refused >= 2, "the registry refused expired tokens on blob reads: "
        + registry.accessLog());
    assertTrue(issued >= 2, "the daemon fetched fresh tokens: " + issued);
  }

  /** Blob GETs the registry answered 401 (including each request's first, unauthenticated try). */
  private long blobRefusals() {
    return registry.accessLog().stream()
        .filter(e -> e.startsWith("GET ") && e.contains("/blobs/") && e.endsWith(" 401"))
        .count();
  }
}
