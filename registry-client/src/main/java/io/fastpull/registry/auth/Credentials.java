package io.fastpull.registry.auth;

/**
 * A user name and secret (password or token) for one registry. {@link #toString()} never shows the secret.
 *
 * @param username the user name, not empty
 * @param secret the password or token, not empty
 */
public record Credentials(String username, String secret) {
  public Credentials {
    if (username == null || username.isEmpty()) {
      throw new IllegalArgumentException("credentials need a user name");
    }
    if (secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException("credentials for user '" + username + "' have an empty secret");
    }
  }

  /** The value of an HTTP Basic Authorization header. */
  public String basicHeader() {
    return "Basic "
        + java.util.Base64.getEncoder()
            .encodeToString((username + ":" + secret).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "Credentials[username=" + username + ", secret=<redacted>]";
  }
}
