package io.fastpull.install;

import java.io.IOException;

/** Install, uninstall or clean refused to go on; the message says what, where and what to do. */
public final class InstallException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why the step was refused. */
  public enum Code {
    /** The containerd config is not valid TOML. */
    UNPARSEABLE,
    /** The containerd config has a version other than 2. */
    UNSUPPORTED_VERSION,
    /** Our keys are written in a form (inline table, dotted keys) this editor does not rewrite. */
    NOT_EDITABLE,
    /** Something is in use (a running task, a mount) and was left alone. */
    BUSY,
    /** The files to install or the manifest are missing. */
    MISSING
  }

  private final Code code;

  public InstallException(Code code, String message) {
    super(message);
    this.code = code;
  }

  public Code code() {
    return code;
  }
}
