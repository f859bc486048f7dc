package io.fastpull.install;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@code install} did, as JSON next to the installed jar, for {@code uninstall}. Nullable
 * fields are absent from older or partial installs.
 *
 * @param files files written (removed on uninstall)
 * @param dirs directories created, parents first (removed when empty)
 * @param fastpullConfig the daemon config, when install wrote it (else null: the user's own)
 * @param fastpullConfigSha256 its digest as written (removed only while unchanged)
 * @param containerdConfig containerd's config path
 * @param containerdConfigCreated whether the file did not exist before install
 * @param backups backups of containerd's config, one per write, oldest first
 * @param writtenSha256 digest of containerd's config as last written, null if never written
 * @param edits every edit made to containerd's config, oldest first
 * @param service how the daemon was started: "systemd", "background" or "none"
 * @param pidFile the background daemon's pid file
 */
record Manifest(
    int format,
    List<String> files,
    List<String> dirs,
    String fastpullConfig,
    String fastpullConfigSha256,
    String containerdConfig,
    boolean containerdConfigCreated,
    List<String> backups,
    String writtenSha256,
    List<Edit> edits,
    String service,
    String pidFile) {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  Manifest {
    files = List.copyOf(Objects.requireNonNullElse(files, List.of()));
    dirs = List.copyOf(Objects.requireNonNullElse(dirs, List.of()));
    backups = List.copyOf(Objects.requireNonNullElse(backups, List.of()));
    edits = List.copyOf(Objects.requireNonNullElse(edits, List.of()));
    service = Objects.requireNonNullElse(service, "none");
  }

  static Optional<Manifest> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(file.toFile(), Manifest.class));
    } catch (JacksonException e) {
      throw new IOException("install manifest " + file + " is damaged: " + e.getOriginalMessage()
          + "; remove fastpull's files by hand (see the manifest)", e);
    }
  }

  byte[] toJson() throws IOException {
    return (JSON.writeValueAsString(this) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
