package io.fastpull.snapshot;

/** A snapshot operation refused for a reason containerd distinguishes; see {@link #code()}. */
public final class SnapshotException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The error kinds containerd's errdefs knows and acts on. */
  public enum Code {
    NOT_FOUND,
    ALREADY_EXISTS,
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    UNAVAILABLE
  }

  private final Code code;

  public SnapshotException(Code code, String message) {
    super(message);
    this.code = code;
  }

  public Code code() {
    return code;
  }

  static SnapshotException notFound(String what) {
    return new SnapshotException(Code.NOT_FOUND, what + ": not found");
  }
}
