package io.fastpull.pull;

import io.fastpull.proto.containerd.content.v1.ContentGrpc;
import io.fastpull.proto.containerd.diff.v1.DiffGrpc;
import io.fastpull.proto.containerd.images.v1.ImagesGrpc;
import io.fastpull.proto.containerd.leases.v1.LeasesGrpc;
import io.fastpull.proto.containerd.snapshots.v1.SnapshotsGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC connection to containerd's Unix socket. Every call carries the namespace header, and the
 * lease header once {@link #useLease} named one (so what the pull creates is kept from GC until
 * it is referenced). Stubs are made per call with a deadline. Not thread-safe for
 * {@link #useLease}; close is idempotent.
 */
final class ContainerdConnection implements AutoCloseable {
  static final Metadata.Key<String> NAMESPACE_HEADER =
      Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> LEASE_HEADER =
      Metadata.Key.of("containerd-lease", Metadata.ASCII_STRING_MARSHALLER);
  private static final Duration CALL_TIMEOUT = Duration.ofMinutes(5);

  final Path address;
  final String namespace;
  private final UnixGrpcChannel channel;
  private Channel scoped;

  private ContainerdConnection(Path address, String namespace) {
    this.address = address;
    this.namespace = namespace;
    this.channel = new UnixGrpcChannel(address);
    useLease(Optional.empty());
  }

  /** @throws PullException CONTAINERD_UNAVAILABLE when the socket does not exist */
  static ContainerdConnection open(Path address, String namespace) throws PullException {
    requireSocket(address);
    return new ContainerdConnection(address, namespace);
  }

  /** @throws PullException CONTAINERD_UNAVAILABLE when the socket does not exist */
  static void requireSocket(Path address) throws PullException {
    if (!Files.exists(address)) {
      throw unavailable(address, "no socket there", null);
    }
  }

  /** Sends {@code lease} (or no lease) on every later call. */
  void useLease(Optional<String> lease) {
    Metadata headers = new Metadata();
    headers.put(NAMESPACE_HEADER, namespace);
    lease.ifPresent(l -> headers.put(LEASE_HEADER, l));
    scoped = ClientInterceptors.intercept(channel.channel(),
        MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  SnapshotsGrpc.SnapshotsBlockingStub snapshots() {
    return SnapshotsGrpc.newBlockingStub(scoped).withDeadlineAfter(CALL_TIMEOUT.toSeconds(),
        TimeUnit.SECONDS);
  }

  ContentGrpc.ContentBlockingStub content() {
    return ContentGrpc.newBlockingStub(scoped).withDeadlineAfter(CALL_TIMEOUT.toSeconds(),
        TimeUnit.SECONDS);
  }

  /** No deadline: a streamed write lasts as long as the download; the caller bounds each wait. */
  ContentGrpc.ContentStub contentStream() {
    return ContentGrpc.newStub(scoped);
  }

  ImagesGrpc.ImagesBlockingStub images() {
    return ImagesGrpc.newBlockingStub(scoped).withDeadlineAfter(CALL_TIMEOUT.toSeconds(),
        TimeUnit.SECONDS);
  }

  LeasesGrpc.LeasesBlockingStub leases() {
    return LeasesGrpc.newBlockingStub(scoped).withDeadlineAfter(CALL_TIMEOUT.toSeconds(),
        TimeUnit.SECONDS);
  }

  /** Applying a big layer can take long: a generous deadline. */
  DiffGrpc.DiffBlockingStub diff() {
    return DiffGrpc.newBlockingStub(scoped).withDeadlineAfter(30, TimeUnit.MINUTES);
  }

  /** Translates a refused call into a {@link PullException} naming what was tried. */
  PullException failure(String what, StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String detail = e.getStatus().getDescription() == null ? code.toString()
        : e.getStatus().getDescription();
    if (code == Status.Code.UNAVAILABLE) {
      return unavailable(address, detail, e);
    }
    if (detail.contains("snapshotter not loaded")) {
      return new PullException(PullException.Kind.SNAPSHOTTER_NOT_CONFIGURED,
          "containerd at " + address + " has no such snapshotter (" + detail + "): run "
              + "`fastpull install` to configure the fastpull snapshotter and restart containerd, "
              + "or pick another with --snapshotter", e);
    }
    return new PullException(PullException.Kind.CONTAINERD,
        what + " failed: containerd answered " + code + ": " + detail, e);
  }

  /**
   * Translates a refused snapshots call, which containerd forwards to the snapshotter. UNAVAILABLE
   * that containerd sent (no local transport cause: containerd answered) means containerd could
   * not dial the snapshotter; CANCELLED means the snapshotter dropped the call, as a daemon that
   * stops mid-call does. Both name the snapshotter, not containerd, as the part to check. Other
   * failures as {@link #failure}.
   */
  PullException snapshotFailure(String what, String snapshotter, StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String detail = e.getStatus().getDescription() == null ? code.toString()
        : e.getStatus().getDescription();
    boolean containerdAnswered = e.getStatus().getCause() == null;
    if (code == Status.Code.UNAVAILABLE && containerdAnswered) {
      return new PullException(PullException.Kind.SNAPSHOTTER_UNAVAILABLE, what + " failed: "
          + "containerd at " + address + " cannot reach its snapshotter \"" + snapshotter
          + "\" (" + detail + "): is the snapshotter's daemon running (for fastpull: `systemctl "
          + "status fastpull`)? Pull again once it is", e);
    }
    if (code == Status.Code.CANCELLED) {
      return new PullException(PullException.Kind.SNAPSHOTTER_UNAVAILABLE, what + " failed: "
          + "snapshotter \"" + snapshotter + "\" dropped the call (" + detail + "): its daemon "
          + "stopped or restarted during the pull; pull again once it is running", e);
    }
    return failure(what, e);
  }

  static boolean is(StatusRuntimeException e, Status.Code code) {
    return e.getStatus().getCode() == code;
  }

  private static PullException unavailable(Path address, String detail, Throwable cause) {
    return new PullException(PullException.Kind.CONTAINERD_UNAVAILABLE,
        "cannot reach containerd at " + address + " (" + detail + "): is containerd running? "
            + "Point --address at its socket", cause);
  }

  @Override
  public void close() {
    channel.close();
  }
}
