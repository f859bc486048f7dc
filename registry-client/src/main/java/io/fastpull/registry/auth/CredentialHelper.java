package io.fastpull.registry.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fastpull.registry.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs {@code docker-credential-NAME get}: the server URL on stdin, {@code {"Username","Secret"}} on stdout.
 * A non-zero exit whose output says "credentials not found" means no credentials; other failures are
 * CREDENTIALS errors that quote neither stdout nor stdin (they might hold secrets). Bounded by a timeout.
 */
final class CredentialHelper {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");
  private static final long TIMEOUT_SECONDS = 30;

  private final List<Path> dirs;

  CredentialHelper(List<Path> dirs) {
    this.dirs = dirs;
  }

  Optional<Credentials> get(String name, String serverUrl) throws IOException {
    if (!NAME.matcher(name).matches()) {
      throw fail(name, "helper name '" + name + "' has characters other than letters, digits, '.', '_', '-'");
    }
    Path exe = find("docker-credential-" + name);
    // stderr is dropped: helpers report errors such as "credentials not found" on stdout.
    Process p = new ProcessBuilder(exe.toString(), "get").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      // Read stdout on its own thread so a helper that hangs cannot block us past the timeout.
      java.util.concurrent.CompletableFuture<byte[]> stdout = new java.util.concurrent.CompletableFuture<>();
      Thread reader = new Thread(() -> {
        try (InputStream o = p.getInputStream()) {
          stdout.complete(o.readNBytes(1 << 20));
        } catch (IOException | RuntimeException e) {
          stdout.completeExceptionally(e);
        }
      }, "credential-helper-" + name);
      reader.setDaemon(true);
      reader.start();
      try (OutputStream in = p.getOutputStream()) {
        in.write(serverUrl.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        // A helper may exit without reading stdin (broken pipe); its exit status and output decide below.
      }
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw fail(name, "helper did not exit within " + TIMEOUT_SECONDS + "s");
      }
      byte[] out;
      try {
        out = stdout.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw fail(name, "cannot read helper output");
      }
      String combined = new String(out, StandardCharsets.UTF_8).toLowerCase(java.util.Locale.ROOT);
      if (p.exitValue() != 0) {
        if (combined.contains("credentials not found")) {
          return Optional.empty();
        }
        throw fail(name, "helper exited with status " + p.exitValue());
      }
      JsonNode node;
      try {
        node = MAPPER.readTree(out);
      } catch (IOException e) {
        throw fail(name, "helper output is not JSON");
      }
      String user = node == null ? "" : node.path("Username").asText("");
      String secret = node == null ? "" : node.path("Secret").asText("");
      if (user.isEmpty() || secret.isEmpty()) {
        throw fail(name, "helper output lacks Username or Secret");
      }
      return Optional.of(new Credentials(user, secret));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw fail(name, "interrupted");
    } finally {
      p.destroyForcibly();
    }
  }

  private Path find(String exe) throws RegistryException {
    for (Path d : dirs) {
      Path candidate = d.resolve(exe);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw fail(exe, "no executable '" + exe + "' in " + dirs);
  }

  private static RegistryException fail(String name, String why) {
    return RegistryException.builder(RegistryException.Kind.CREDENTIALS, "credential helper " + name).detail(why).build();
  }
}
