package io.fastpull.systemd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the service manager how the daemon is doing, as {@code sd_notify(3)} does: a unit of
 * {@code Type=notify} counts as started only once {@link #ready} was sent, so containerd (ordered
 * after the unit) never dials a socket that is not served yet.
 *
 * <p>Each message is one datagram of newline-separated {@code KEY=VALUE} assignments sent to
 * {@code $NOTIFY_SOCKET}; with {@code NotifyAccess=main} systemd accepts it only from the main
 * process, which the launcher's {@code exec java} makes the JVM. Without {@code $NOTIFY_SOCKET}
 * (not started by systemd, or a unit of another type) every method does nothing.
 *
 * <p>{@link #ready}, {@link #status} and {@link #stopping} never throw: as with {@code sd_notify},
 * a notification that cannot be delivered is logged and the daemon goes on (systemd then times
 * the start out, which names the cause in its own log). {@link #send} reports failures, for
 * messages whose delivery matters to the caller, such as file descriptors handed to the fd store
 * ({@code FDSTORE=1}). Thread-safe: every message uses a socket of its own.
 */
public final class ServiceNotifier {
  private static final Logger log = LoggerFactory.getLogger(ServiceNotifier.class);
  private static final ServiceNotifier NONE = new ServiceNotifier(Optional.empty());

  private final Optional<NotifyAddress> address;

  private ServiceNotifier(Optional<NotifyAddress> address) {
    this.address = address;
  }

  /** The notifier of this process: to {@code $NOTIFY_SOCKET}, or none when it is unset. */
  public static ServiceNotifier fromEnvironment() {
    return fromEnvironment(System.getenv());
  }

  /**
   * The notifier {@code env} describes. An unusable {@code NOTIFY_SOCKET} (relative path, too long)
   * is logged and treated as unset, as {@code sd_notify} treats it.
   */
  public static ServiceNotifier fromEnvironment(Map<String, String> env) {
    String value = env.get("NOTIFY_SOCKET");
    if (value == null || value.isEmpty()) {
      return NONE;
    }
    try {
      return new ServiceNotifier(Optional.of(new NotifyAddress(value)));
    } catch (IllegalArgumentException e) {
      log.warn("service manager notifications off: {}", e.getMessage());
      return NONE;
    }
  }

  /** Whether messages go anywhere (a service manager asked for them). */
  public boolean enabled() {
    return address.isPresent();
  }

  /** Startup is complete and the service is served: {@code READY=1} with a status line. */
  public void ready(String status) {
    quietly("READY=1\nSTATUS=" + oneLine(status));
  }

  /** A free-form status line, shown by {@code systemctl status}: {@code STATUS=...}. */
  public void status(String status) {
    quietly("STATUS=" + oneLine(status));
  }

  /** Shutdown has begun: {@code STOPPING=1} with a status line. */
  public void stopping(String status) {
    quietly("STOPPING=1\nSTATUS=" + oneLine(status));
  }

  /**
   * Sends {@code state} (newline-separated assignments) with {@code fds} attached by {@code
   * SCM_RIGHTS}; the caller keeps its descriptors. Does nothing when not {@link #enabled()}.
   *
   * @throws IOException if the message could not be delivered (nothing listening, too large)
   */
  public void send(String state, int... fds) throws IOException {
    if (address.isEmpty()) {
      return;
    }
    UnixDatagram.send(address.get(), state.getBytes(StandardCharsets.UTF_8), fds.clone());
  }

  private void quietly(String state) {
    try {
      send(state);
      log.debug("service manager notified state={}", state.replace('\n', ' '));
    } catch (IOException | RuntimeException | LinkageError e) {
      log.warn("cannot notify the service manager socket={} state={} error={}",
          address.map(NotifyAddress::value).orElse(""), state.replace('\n', ' '), e.toString());
    }
  }

  /** A value must not end the assignment early: newlines become spaces. */
  private static String oneLine(String s) {
    return s.replace('\n', ' ').replace('\r', ' ');
  }
}
