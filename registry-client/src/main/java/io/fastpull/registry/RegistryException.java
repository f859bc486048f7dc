package io.fastpull.registry;

import java.io.IOException;
import java.util.Optional;

/**
 * A registry operation failed. {@link #kind()} says what went wrong in a closed set callers can switch on;
 * {@link #status()} and {@link #errorCode()} carry the HTTP status and the OCI error code when the registry
 * answered. The message names the host and repository and says what to do; it never contains credentials.
 */
public final class RegistryException extends IOException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** Authentication failed or no credentials were available (HTTP 401). */
    UNAUTHORIZED("check the credentials (docker config.json, credential helper) for this registry"),
    /** Authenticated but not allowed (HTTP 403). */
    DENIED("the account lacks access to this repository; check its permissions"),
    /** Repository, manifest or blob does not exist (HTTP 404). */
    NOT_FOUND("check the repository name, tag or digest"),
    /** Too many requests (HTTP 429) and the retry budget ran out. */
    RATE_LIMITED("retry later or authenticate to get a higher rate limit"),
    /** The registry answered 5xx and the retry budget ran out. */
    UNAVAILABLE("the registry is failing; retry later or use a mirror"),
    /** The connection could not be made or broke. */
    UNREACHABLE("check the host name, port, network and hosts.toml server/mirror entries"),
    /** No data arrived within the configured timeout. */
    TIMEOUT("the registry or network is stalled; retry or raise the read timeout"),
    /** The registry answered a TLS handshake in plain HTTP: it is not served over HTTPS. */
    PLAIN_HTTP("plain HTTP is not encrypted: allow it only for a registry on a trusted network"),
    /** TLS failed, usually an untrusted certificate. */
    TLS("add the registry's CA to hosts.toml 'ca', or use skip_verify only for testing"),
    /** Content did not match its digest or size. */
    DIGEST_MISMATCH("the registry served corrupt content; do not use it, retry or report to the registry operator"),
    /** A byte range lies outside the blob (HTTP 416 or a short range). */
    OUT_OF_RANGE("the requested range exceeds the blob size; check offset and length"),
    /** The registry answered a ranged GET with the whole blob (200 instead of 206). */
    RANGE_NOT_SUPPORTED("this registry or proxy ignores Range requests; lazy pulling needs one that honours them"),
    /** The registry rejected the request as invalid (other 4xx), e.g. a bad manifest. */
    REJECTED("the registry rejected the content; see the error code"),
    /** The registry's answer made no sense: missing headers, malformed JSON, unexpected status. */
    PROTOCOL("the registry or a proxy in front of it does not follow the distribution API"),
    /** A hosts.toml file is malformed or names unreadable files. */
    CONFIG("fix the registry host configuration (hosts.toml)"),
    /** Credentials could not be read: bad docker config or a failing credential helper. */
    CREDENTIALS("fix the docker config.json or the credential helper");

    private final String advice;

    Kind(String advice) {
      this.advice = advice;
    }

    /** What the user can do about it. */
    public String advice() {
      return advice;
    }
  }

  private final Kind kind;
  private final int status;
  private final String errorCode;
  private final String host;
  private final String repository;
  private final boolean bodyPhase;

  private RegistryException(Builder b, String message) {
    super(message, b.cause);
    this.bodyPhase = b.bodyPhase;
    this.kind = b.kind;
    this.status = b.status;
    this.errorCode = b.errorCode;
    this.host = b.host;
    this.repository = b.repository;
  }

  /** Starts an exception of {@code kind} about {@code what} (e.g. "GET blob sha256:..."). */
  public static Builder builder(Kind kind, String what) {
    return new Builder(kind, what);
  }

  public Kind kind() {
    return kind;
  }

  /** The HTTP status, or 0 when the registry gave none. */
  public int status() {
    return status;
  }

  /** The OCI error code from the registry's JSON error body ({@code BLOB_UNKNOWN}, ...). */
  public Optional<String> errorCode() {
    return Optional.ofNullable(errorCode);
  }

  /** The host[:port] of the endpoint involved, when known. */
  public Optional<String> host() {
    return Optional.ofNullable(host);
  }

  /** The repository involved, when known. */
  public Optional<String> repository() {
    return Optional.ofNullable(repository);
  }

  /** Whether this failure happened while reading a response body (after the status was accepted). */
  boolean bodyPhase() {
    return bodyPhase;
  }

  /** Whether a fresh attempt may succeed (5xx, 429, connection failures, stalls). */
  public boolean isTransient() {
    return kind == Kind.UNAVAILABLE || kind == Kind.RATE_LIMITED || kind == Kind.UNREACHABLE || kind == Kind.TIMEOUT;
  }

  /** Builds a {@link RegistryException}; the message is assembled once at {@link #build()}. */
  public static final class Builder {
    private final Kind kind;
    private final String what;
    private int status;
    private String errorCode;
    private String host;
    private String repository;
    private String detail;
    private Throwable cause;
    private boolean bodyPhase;

    private Builder(Kind kind, String what) {
      this.kind = kind;
      this.what = what;
    }

    public Builder status(int status) {
      this.status = status;
      return this;
    }

    public Builder errorCode(String errorCode) {
      this.errorCode = errorCode;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    public Builder repository(String repository) {
      this.repository = repository;
      return this;
    }

    /** Extra detail for the message; must not contain secrets. */
    public Builder detail(String detail) {
      this.detail = detail;
      return this;
    }

    public Builder cause(Throwable cause) {
      this.cause = cause;
      return this;
    }

    /** Marks a failure while reading a body, which whole-request retries (not per-exchange ones) handle. */
    Builder bodyPhase() {
      this.bodyPhase = true;
      return this;
    }

    public RegistryException build() {
      StringBuilder m = new StringBuilder(what).append(": ").append(kind);
      StringBuilder ctx = new StringBuilder();
      if (host != null) ctx.append("host=").append(host);
      if (repository != null) ctx.append(ctx.length() > 0 ? " " : "").append("repository=").append(repository);
      if (status != 0) ctx.append(ctx.length() > 0 ? " " : "").append("status=").append(status);
      if (errorCode != null) ctx.append(ctx.length() > 0 ? " " : "").append("code=").append(errorCode);
      if (ctx.length() > 0) m.append(" (").append(ctx).append(')');
      if (detail != null && !detail.isBlank()) {
        String d = detail.strip();
        m.append(": ").append(d.length() > 500 ? d.substring(0, 500) + "..." : d);
      }
      m.append(". ").append(Character.toUpperCase(kind.advice.charAt(0))).append(kind.advice.substring(1)).append('.');
      return new RegistryException(this, m.toString());
    }
  }
}
