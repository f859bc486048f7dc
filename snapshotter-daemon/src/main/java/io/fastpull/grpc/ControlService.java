package io.fastpull.grpc;

import static io.fastpull.grpc.Statuses.unary;

import io.fastpull.blob.FetchStats;
import io.fastpull.proto.control.v1.ControlGrpc;
import io.fastpull.proto.control.v1.LayerTrace;
import io.fastpull.proto.control.v1.LayersRequest;
import io.fastpull.proto.control.v1.LayersResponse;
import io.fastpull.proto.control.v1.ResetTracesResponse;
import io.fastpull.proto.control.v1.TracesRequest;
import io.fastpull.proto.control.v1.TracesResponse;
import io.fastpull.registry.Digest;
import io.fastpull.remote.LayerStatus;
import io.fastpull.remote.LazyLayers;
import io.fastpull.snapshot.SnapshotException;
import io.grpc.stub.StreamObserver;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * fastpull's control service as a thin adapter over {@link LazyLayers}. A request naming a blob
 * that is not mounted fails with NOT_FOUND (nothing is reset then), a malformed digest with
 * INVALID_ARGUMENT; an empty list means every mounted lazy layer.
 */
final class ControlService extends ControlGrpc.ControlImplBase {
  private final LazyLayers layers;

  ControlService(LazyLayers layers) {
    this.layers = layers;
  }

  @Override
  public void layers(LayersRequest r, StreamObserver<LayersResponse> out) {
    unary("Layers", String.join(",", r.getBlobDigestsList()), out, () -> {
      List<LayerStatus> all = layers.layers();
      Set<Digest> wanted = select(r.getBlobDigestsList(), all);
      LayersResponse.Builder b = LayersResponse.newBuilder();
      for (LayerStatus s : all) {
        if (wanted.contains(s.blob())) {
          b.addLayers(status(s));
        }
      }
      return b.build();
    });
  }

  @Override
  public void traces(TracesRequest r, StreamObserver<TracesResponse> out) {
    unary("Traces", String.join(",", r.getBlobDigestsList()), out, () -> {
      TracesResponse.Builder b = TracesResponse.newBuilder();
      for (Digest d : select(r.getBlobDigestsList(), layers.layers())) {
        int[] trace = layers.trace(d).orElseThrow(() -> notMounted(d));
        LayerTrace.Builder t = LayerTrace.newBuilder().setBlobDigest(d.toString());
        for (int c : trace) {
          t.addChunks(c);
        }
        b.addTraces(t);
      }
      return b.build();
    });
  }

  @Override
  public void resetTraces(TracesRequest r, StreamObserver<ResetTracesResponse> out) {
    unary("ResetTraces", String.join(",", r.getBlobDigestsList()), out, () -> {
      for (Digest d : select(r.getBlobDigestsList(), layers.layers())) {
        if (!layers.resetTrace(d)) {
          throw notMounted(d);
        }
      }
      return ResetTracesResponse.getDefaultInstance();
    });
  }

  /**
   * The blobs a request names, in request order, or every mounted one (in mount order) when it
   * names none.
   *
   * @throws SnapshotException INVALID_ARGUMENT (malformed digest), NOT_FOUND (not mounted)
   */
  private static Set<Digest> select(List<String> requested, List<LayerStatus> mounted)
      throws SnapshotException {
    Set<Digest> present = new LinkedHashSet<>();
    for (LayerStatus s : mounted) {
      present.add(s.blob());
    }
    if (requested.isEmpty()) {
      return present;
    }
    Set<Digest> out = new LinkedHashSet<>();
    for (String text : requested) {
      Digest d;
      try {
        d = Digest.parse(text);
      } catch (IllegalArgumentException e) {
        throw new SnapshotException(SnapshotException.Code.INVALID_ARGUMENT,
            "bad blob digest \"" + text + "\": " + e.getMessage());
      }
      if (!present.contains(d)) {
        throw notMounted(d);
      }
      out.add(d);
    }
    return out;
  }

  private static SnapshotException notMounted(Digest d) {
    return new SnapshotException(SnapshotException.Code.NOT_FOUND,
        "no lazy layer with blob " + d + " is mounted");
  }

  private static io.fastpull.proto.control.v1.LayerStatus status(LayerStatus s) {
    FetchStats f = s.stats();
    return io.fastpull.proto.control.v1.LayerStatus.newBuilder()
        .setBlobDigest(s.blob().toString())
        .setSnapshotKey(s.snapshotKey())
        .setMountpoint(s.mountpoint().toString())
        .setRepository(s.repository())
        .setStoredBytes(s.storedBytes())
        .setChunkCount(s.chunkCount())
        .setFetchedBytes(f.sourceBytes())
        .setSourceRequests(f.sourceRequests())
        .setCacheHits(f.cacheHits())
        .setMemoryHits(f.memoryHits())
        .setPrefetchHits(f.prefetchHits())
        .setOnDemandWaits(f.onDemandWaits())
        .setOnDemandWaitMicros(f.onDemandWaitNanos() / 1000)
        .setBackgroundBytes(f.backgroundBytes())
        .setFailures(f.failures())
        .setPrefetchChunks(s.prefetchChunks())
        .setPrefetchSource(s.prefetchSource().label())
        .build();
  }
}
