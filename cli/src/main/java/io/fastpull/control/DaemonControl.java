package io.fastpull.control;

import io.fastpull.daemon.DaemonConfig;
import io.fastpull.proto.control.v1.ControlGrpc;
import io.fastpull.proto.control.v1.LayerStatus;
import io.fastpull.proto.control.v1.LayerTrace;
import io.fastpull.proto.control.v1.LayersRequest;
import io.fastpull.proto.control.v1.TracesRequest;
import io.fastpull.pull.UnixGrpcChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A connection to the fastpull daemon's control service on its Unix socket (the snapshotter
 * socket containerd's proxy plugin uses). Every call has its own deadline; failures are
 * {@link ControlException}s that name the socket. Calls may come from several threads; close is
 * idempotent, and calls after it fail.
 */
public final class DaemonControl implements AutoCloseable {
  /** The daemon's default socket. */
  public static final Path DEFAULT_SOCKET = DaemonConfig.DEFAULT_SOCKET;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

  private final Path socket;
  private final UnixGrpcChannel channel;
  private boolean closed;

  private DaemonControl(Path socket) {
    this.socket = socket;
    this.channel = new UnixGrpcChannel(socket);
  }

  /**
   * Prepares a connection (nothing is sent until the first call).
   *
   * @throws ControlException UNAVAILABLE when there is no socket at {@code socket}
   */
  public static DaemonControl open(Path socket) throws ControlException {
    if (!Files.exists(socket)) {
      throw unavailable(socket, "no socket there", null);
    }
    return new DaemonControl(socket);
  }

  public Path socket() {
    return socket;
  }

  /** What the daemon counts for every mounted lazy layer, in mount order. */
  public List<LayerActivity> layers() throws ControlException {
    List<LayerStatus> status;
    try {
      // Asks for all: the daemon refuses a request naming a blob it has not mounted.
      status = stub().layers(LayersRequest.getDefaultInstance()).getLayersList();
    } catch (StatusRuntimeException e) {
      throw failure("Layers", e);
    }
    List<LayerActivity> out = new ArrayList<>(status.size());
    for (LayerStatus s : status) {
      out.add(new LayerActivity(s.getBlobDigest(), s.getSnapshotKey(), s.getStoredBytes(),
          Integer.toUnsignedLong(s.getChunkCount()), s.getFetchedBytes(), s.getSourceRequests(),
          s.getCacheHits(), s.getMemoryHits(), s.getPrefetchSource(),
          Integer.toUnsignedLong(s.getPrefetchChunks()), s.getPrefetchHits(),
          s.getOnDemandWaits(), s.getOnDemandWaitMicros(), s.getBackgroundBytes(),
          s.getFailures()));
    }
    return out;
  }

  /**
   * Forgets the access traces of these mounted layers, so the next reads start new ones.
   *
   * @throws ControlException NOT_FOUND when one of them is not mounted (nothing is reset then)
   */
  public void resetTraces(Collection<String> blobDigests) throws ControlException {
    try {
      stub().resetTraces(TracesRequest.newBuilder().addAllBlobDigests(blobDigests).build());
    } catch (StatusRuntimeException e) {
      throw failure("ResetTraces", e);
    }
  }

  /**
   * The access traces of these mounted layers: per blob digest, chunk indexes in order of first
   * read.
   *
   * @throws ControlException NOT_FOUND when one of them is not mounted
   */
  public Map<String, int[]> traces(Collection<String> blobDigests) throws ControlException {
    List<LayerTrace> traces;
    try {
      traces = stub().traces(TracesRequest.newBuilder().addAllBlobDigests(blobDigests).build())
          .getTracesList();
    } catch (StatusRuntimeException e) {
      throw failure("Traces", e);
    }
    Map<String, int[]> out = new LinkedHashMap<>();
    for (LayerTrace t : traces) {
      out.put(t.getBlobDigest(), t.getChunksList().stream().mapToInt(Integer::intValue).toArray());
    }
    return out;
  }

  private synchronized ControlGrpc.ControlBlockingStub stub() {
    if (closed) {
      throw new IllegalStateException("control connection to " + socket + " is closed");
    }
    return ControlGrpc.newBlockingStub(channel.channel())
        .withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private ControlException failure(String call, StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String detail = e.getStatus().getDescription() == null ? code.toString()
        : e.getStatus().getDescription();
    return switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED -> unavailable(socket, detail, e);
      case NOT_FOUND -> new ControlException(ControlException.Kind.NOT_FOUND, "the fastpull "
          + "daemon at " + socket + " answered " + call + ": " + detail, e);
      case UNIMPLEMENTED -> new ControlException(ControlException.Kind.UNIMPLEMENTED,
          "the fastpull daemon at " + socket + " has no control service (" + detail
              + "): it is older than this fastpull; update and restart it", e);
      default -> new ControlException(ControlException.Kind.FAILED, "control call " + call
          + " to the fastpull daemon at " + socket + " failed: " + code + ": " + detail, e);
    };
  }

  private static ControlException unavailable(Path socket, String detail, Throwable cause) {
    return new ControlException(ControlException.Kind.UNAVAILABLE,
        "cannot reach the fastpull daemon at " + socket + " (" + detail + "): start it with "
            + "`fastpull daemon` (or `systemctl start fastpull`), or point --snapshotter-socket "
            + "at its socket", cause);
  }

  @Override
  public synchronized void close() {
    closed = true;
    channel.close();
  }
}
