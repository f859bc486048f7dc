package io.fastpull.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.registry.auth.CredentialStore;
import io.fastpull.registry.auth.Credentials;
import io.fastpull.registry.auth.DockerConfigStore;
import io.fastpull.registry.testing.LocalRegistry;
import io.fastpull.registry.testing.TokenServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Basic (htpasswd) and token authentication against the real registry, with credentials from docker config. */
class AuthTest {
  private static final String PASSWORD = "s3cret-Pa55word";

  @TempDir Path dir;

  @Test
  void basicAuthWithRightAndWrongPassword() throws Exception {
    try (LocalRegistry reg = LocalRegistry.builder(dir.resolve("reg")).basicAuth("alice", PASSWORD).start()) {
      ImageReference repo = ImageReference.parse(reg.host() + "/private/app:1");
      try (RegistryClient good = RegistryClient.builder().plainHttp(reg.host())
          .credentials(CredentialStore.of(Map.of(reg.host(), new Credentials("alice", PASSWORD)))).build()) {
        Digest d = good.pushBlob(repo, "hello".getBytes());
        assertArrayEquals("hello".getBytes(), good.readBlob(repo, d, 100));
        assertArrayEquals("ell".getBytes(), good.readBlobRange(repo, d, 1, 3));
      }
      String wrongPassword = "wrong-" + PASSWORD;
      try (RegistryClient bad = RegistryClient.builder().plainHttp(reg.host())
          .credentials(CredentialStore.of(Map.of(reg.host(), new Credentials("alice", wrongPassword)))).build()) {
        RegistryException e = assertThrows(RegistryException.class, () -> bad.blobExists(repo, Digest.sha256(new byte[0])));
        assertEquals(RegistryException.Kind.UNAUTHORIZED, e.kind());
        assertNoSecret(e, wrongPassword);
        assertTrue(e.getMessage().contains("user 'alice'") && e.getMessage().contains(reg.host()), e.getMessage());
      }
      try (RegistryClient anon = RegistryClient.builder().plainHttp(reg.host()).build()) {
        RegistryException e = assertThrows(RegistryException.class, () -> anon.resolve(repo));
        assertEquals(RegistryException.Kind.UNAUTHORIZED, e.kind());
      }
    }
  }

  @Test
  void dockerConfigAuthsAndCredsStoreHelper() throws Exception {
    try (LocalRegistry reg = LocalRegistry.builder(dir.resolve("reg")).basicAuth("bob", PASSWORD).start()) {
      ImageReference repo = ImageReference.parse(reg.host() + "/cfg/app:1");
      // auths with base64 "auth", keyed by URL form
      Path config = dir.resolve("docker/config.json");
      Files.createDirectories(config.getParent());
      String auth = Base64.getEncoder().encodeToString(("bob:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
      Files.writeString(config, "{\"auths\":{\"https://" + reg.host() + "\":{\"auth\":\"" + auth + "\"}}}");
      DockerConfigStore store = DockerConfigStore.of(config, List.of());
      assertFalse(store.lookup(reg.host()).orElseThrow().toString().contains(PASSWORD));
      try (RegistryClient c = RegistryClient.builder().plainHttp(reg.host()).credentials(store).build()) {
        c.pushBlob(repo, "via-auths".getBytes());
      }

      // credsStore helper found on a custom search path; the helper checks the server URL it is asked for
      Path bin = Files.createDirectories(dir.resolve("bin"));
      Path helper = bin.resolve("docker-credential-test");
      Path calls = dir.resolve("helper-calls");
      Files.writeString(helper, "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r url\necho \"$url\" >> " + calls + "\n"
          + "if [ \"$url\" = \"" + reg.host() + "\" ]; then\n"
          + "  printf '{\"ServerURL\":\"%s\",\"Username\":\"bob\",\"Secret\":\"" + PASSWORD + "\"}' \"$url\"\n"
          + "else\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n");
      Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.writeString(config, "{\"credsStore\":\"test\",\"auths\":{}}");
      DockerConfigStore viaHelper = DockerConfigStore.of(config, List.of(dir.resolve("nowhere"), bin));
      assertTrue(viaHelper.lookup("other.example:5000").isEmpty());
      try (RegistryClient c = RegistryClient.builder().plainHttp(reg.host()).credentials(viaHelper).build()) {
        Digest d = c.pushBlob(repo, "via-helper".getBytes());
        assertArrayEquals("via-helper".getBytes(), c.readBlob(repo, d, 100));
        assertArrayEquals("via".getBytes(), c.readBlobRange(repo, d, 0, 3));
      }
      // One lookup by the test above, then one when the registry first challenged; later requests reuse it.
      assertEquals(List.of("other.example:5000", reg.host()), Files.readAllLines(calls));
    }
  }

  @Test
  void tokenAuthCachesTokensAndRefreshesOn401() throws Exception {
    TokenServer tokens = TokenServer.start(Files.createDirectories(dir.resolve("tok")), Map.of("carol", PASSWORD));
    try (LocalRegistry reg = LocalRegistry.builder(dir.resolve("reg")).tokenAuth(tokens).start();
        RegistryClient c = RegistryClient.builder().plainHttp(reg.host())
            .credentials(CredentialStore.of(Map.of(reg.host(), new Credentials("carol", PASSWORD)))).build()) {
      ImageReference repo = ImageReference.parse(reg.host() + "/tok/app:1");
      Digest a = c.pushBlob(repo, "one".getBytes());
      Digest b = c.pushBlob(repo, "two".getBytes());
      byte[] cfg = "{}".getBytes();
      c.pushBlob(repo, cfg);
      byte[] manifest = Manifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, cfg), List.of(
          Descriptor.of(MediaTypes.OCI_LAYER_TAR, "one".getBytes()))).toJson();
      c.pushManifest(repo, MediaTypes.OCI_MANIFEST, manifest);
      int afterPush = tokens.issued();
      assertEquals(1, afterPush, "one token for the push scope: " + tokens.scopes());

      assertArrayEquals("one".getBytes(), c.readBlob(repo, a, 100));
      assertArrayEquals("wo".getBytes(), c.readBlobRange(repo, b, 1, 2));
      assertEquals(Digest.sha256(manifest), c.resolve(repo).digest());
      assertEquals(afterPush + 1, tokens.issued(), "one more token for the pull scope: " + tokens.scopes());
      assertTrue(tokens.scopes().contains("repository:tok/app:pull"), tokens.scopes().toString());

      // A token the registry rejects (as if expired or revoked) is replaced once, transparently.
      tokens.poisonNext(1);
      ImageReference other = ImageReference.parse(reg.host() + "/tok/other:1");
      Digest d = c.pushBlob(other, "three".getBytes());
      assertArrayEquals("three".getBytes(), c.readBlob(other, d, 100));
      assertEquals(afterPush + 1 + 3, tokens.issued(), "poisoned push token, fresh push token, pull token: " + tokens.scopes());

      // the OAuth2 field name is accepted too
      tokens.useAccessTokenField(true);
      ImageReference third = ImageReference.parse(reg.host() + "/tok/third:1");
      assertArrayEquals("four".getBytes(), c.readBlob(third, c.pushBlob(third, "four".getBytes()), 100));

      // cross-repository mount asks for both scopes
      assertTrue(c.mountBlob(ImageReference.parse(reg.host() + "/tok/mounted:1"), "tok/app", a));
      assertTrue(tokens.scopes().get(tokens.scopes().size() - 1).contains("repository:tok/app:pull"), tokens.scopes().toString());
    }
  }

  @Test
  void tokenServerRefusalIsUnauthorizedWithoutSecret() throws Exception {
    TokenServer tokens = TokenServer.start(Files.createDirectories(dir.resolve("tok")), Map.of("carol", PASSWORD));
    try (LocalRegistry reg = LocalRegistry.builder(dir.resolve("reg")).tokenAuth(tokens).start();
        RegistryClient c = RegistryClient.builder().plainHttp(reg.host())
            .credentials(CredentialStore.of(Map.of(reg.host(), new Credentials("carol", "not-" + PASSWORD)))).build()) {
      RegistryException e = assertThrows(RegistryException.class,
          () -> c.resolve(ImageReference.parse(reg.host() + "/tok/app:1")));
      assertEquals(RegistryException.Kind.UNAUTHORIZED, e.kind());
      assertNoSecret(e, "not-" + PASSWORD);
    }
  }

  static void assertNoSecret(Throwable e, String secret) {
    java.io.StringWriter w = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(w));
    assertFalse(w.toString().contains(secret), w.toString());
    String b64 = Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8));
    assertFalse(w.toString().contains(b64.substring(0, Math.min(12, b64.length()))));
  }
}
