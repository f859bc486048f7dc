package io.fastpull.cli;

import io.fastpull.registry.RegistryClient;
import io.fastpull.registry.auth.DockerConfigStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * How every command reaches registries ({@code --hosts-dir}, {@code --plain-http}, {@code
 * --docker-config}), as one picocli mixin, with the daemon's defaults: containerd's hosts directory
 * ({@link RegistryClient#DEFAULT_HOSTS_DIR}) and the docker CLI's credentials, so one hosts.toml and
 * one config.json serve containerd, the daemon and the command line alike.
 *
 * <p>Not final: {@code PullCommand.Target} extends it, so {@code pull}, {@code run} and {@code
 * record} keep reading {@code target.hostsDir} and {@code target.plainHttp}. The daemon lets only
 * the flags given on its command line override its config file ({@link #given}).
 */
class RegistryOptions {
  static final String HOSTS_DIR = "--hosts-dir";
  static final String PLAIN_HTTP = "--plain-http";
  static final String DOCKER_CONFIG = "--docker-config";

  @Option(names = HOSTS_DIR, paramLabel = "DIR", defaultValue = RegistryClient.DEFAULT_HOSTS_DIR,
      description = "containerd's registry hosts directory: HOST[:PORT]/hosts.toml with mirrors, "
          + "CAs, skip_verify, plain-HTTP servers (default ${DEFAULT-VALUE}, as containerd's; a "
          + "missing directory is fine)")
  Path hostsDir;

  @Option(names = PLAIN_HTTP, split = ",", paramLabel = "HOST[:PORT]",
      description = "registries reached over plain HTTP (or say so in hosts.toml: server = "
          + "\"http://HOST:PORT\")")
  List<String> plainHttp = new ArrayList<>();

  @Option(names = DOCKER_CONFIG, paramLabel = "FILE",
      description = "registry credentials, docker's config.json (auths, credHelpers, "
          + "credsStore; default $DOCKER_CONFIG/config.json, else ~/.docker/config.json)")
  Path dockerConfig;

  /** Whether {@code option} (one of the names above) was on the command line of {@code spec}. */
  static boolean given(CommandSpec spec, String option) {
    return spec.commandLine().getParseResult().hasMatchedOption(option);
  }

  /** A registry client with these settings. */
  RegistryClient client() {
    return RegistryClient.builder()
        .credentials(dockerConfig != null
            ? DockerConfigStore.of(dockerConfig, DockerConfigStore.pathDirs())
            : DockerConfigStore.fromEnvironment())
        .hostsDir(hostsDir)
        .plainHttp(plainHttp.toArray(String[]::new))
        .build();
  }
}
