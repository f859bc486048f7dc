package io.fastpull.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fastpull.registry.RegistryException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Docker config.json lookups: auths forms, Docker Hub keys, helpers, failures that keep secrets out. */
class DockerConfigStoreTest {
  @TempDir Path dir;

  Path config(String json) throws Exception {
    return Files.writeString(dir.resolve("config.json"), json);
  }

  Path helper(String name, String script) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path p = bin.resolve("docker-credential-" + name);
    Files.writeString(p, "#!/bin/sh\n" + script);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return bin;
  }

  @Test
  void authsForms() throws Exception {
    String b64 = Base64.getEncoder().encodeToString("hubuser:hubpass".getBytes(StandardCharsets.UTF_8));
    DockerConfigStore s = DockerConfigStore.of(config("{\"auths\":{"
        + "\"https://index.docker.io/v1/\":{\"auth\":\"" + b64 + "\"},"
        + "\"reg.example:5000\":{\"username\":\"u\",\"password\":\"p\"},"
        + "\"empty.example\":{}}}"), List.of());
    assertEquals(new Credentials("hubuser", "hubpass"), s.lookup("docker.io").orElseThrow());
    assertEquals(new Credentials("u", "p"), s.lookup("reg.example:5000").orElseThrow());
    assertTrue(s.lookup("empty.example").isEmpty());
    assertTrue(s.lookup("other.example").isEmpty());
    assertTrue(DockerConfigStore.of(dir.resolve("missing.json"), List.of()).lookup("docker.io").isEmpty());
    assertFalse(new Credentials("u", "topsecret").toString().contains("topsecret"));
  }

  @Test
  void credHelpersTakePrecedenceAndGetDockerHubUrl() throws Exception {
    Path bin = helper("pass", "read -r url\nprintf '{\"Username\":\"from-helper\",\"Secret\":\"%s\"}' \"$url\"\n");
    DockerConfigStore s = DockerConfigStore.of(config("{\"credHelpers\":{\"docker.io\":\"pass\"},"
        + "\"auths\":{\"docker.io\":{\"username\":\"a\",\"password\":\"b\"}}}"), List.of(bin));
    assertEquals(new Credentials("from-helper", "https://index.docker.io/v1/"), s.lookup("docker.io").orElseThrow());
  }

  @Test
  void failingHelperIsACredentialsErrorWithoutItsOutput() throws Exception {
    Path bin = helper("broken", "echo 'leaked-secret-value'\nexit 3\n");
    DockerConfigStore s = DockerConfigStore.of(config("{\"credsStore\":\"broken\"}"), List.of(bin));
    RegistryException e = assertThrows(RegistryException.class, () -> s.lookup("reg.example"));
    assertEquals(RegistryException.Kind.CREDENTIALS, e.kind());
    assertFalse(e.getMessage().contains("leaked-secret-value"), e.getMessage());
    DockerConfigStore missing = DockerConfigStore.of(config("{\"credsStore\":\"nope\"}"), List.of(bin));
    assertEquals(RegistryException.Kind.CREDENTIALS,
        assertThrows(RegistryException.class, () -> missing.lookup("reg.example")).kind());
  }

  @Test
  void malformedConfigDoesNotQuoteContent() throws Exception {
    DockerConfigStore s = DockerConfigStore.of(config("{\"auths\": {\"x\": {\"auth\": \"c2VjcmV0OnB3\"}"), List.of());
    RegistryException e = assertThrows(RegistryException.class, () -> s.lookup("x"));
    assertEquals(RegistryException.Kind.CREDENTIALS, e.kind());
    assertFalse(e.getMessage().contains("c2VjcmV0"), e.getMessage());
  }
}
