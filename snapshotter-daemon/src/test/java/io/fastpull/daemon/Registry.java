package io.fastpull.daemon;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Debian's docker-registry (distribution 2.8) on a free 127.0.0.1 port; stopped by PID. */
final class Registry implements AutoCloseable {
  final String host;
  private final Process process;
  private final Path dir;

  private Registry(String host, Process process, Path dir) {
    this.host = host;
    this.process = process;
    this.dir = dir;
  }

  static Registry start(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path config = dir.resolve("config.yml");
    Files.writeString(config, String.join("\n",
        "version: 0.1",
        "log:",
        "  level: warn",
        "storage:",
        "  filesystem:",
        "    rootdirectory: " + dir.resolve("data"),
        "http:",
        "  addr: 127.0.0.1:" + port,
        ""));
    Process p = new ProcessBuilder("docker-registry", "serve", config.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("registry.log").toFile())
        .start();
    Registry r = new Registry("127.0.0.1:" + port, p, dir);
    try {
      for (int i = 0; i < 100; i++) {
        if (!p.isAlive()) {
          throw new IOException("registry exited: " + Files.readString(dir.resolve("registry.log")));
        }
        if (r.up()) {
          return r;
        }
        Thread.sleep(100);
      }
      throw new IOException("registry did not come up in 10 s");
    } catch (IOException | InterruptedException | RuntimeException e) {
      r.close();
      throw e;
    }
  }

  private boolean up() {
    try {
      HttpURLConnection c = (HttpURLConnection) new URL("http://" + host + "/v2/").openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(1000);
      return c.getResponseCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /** Pushes a docker-archive tar with skopeo; returns the pushed reference. */
  String push(Path archive, String repoAndTag) throws IOException, InterruptedException {
    String ref = host + "/" + repoAndTag;
    HostMounts.run(List.of("skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
        "docker-archive:" + archive, "docker://" + ref));
    return ref;
  }

  @Override
  public void close() {
    Processes.stop(process, 10);
  }
}
