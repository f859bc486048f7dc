package io.fastpull.pull;

import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import io.fastpull.proto.containerd.content.v1.Info;
import io.fastpull.proto.containerd.content.v1.InfoRequest;
import io.fastpull.proto.containerd.content.v1.UpdateRequest;
import io.fastpull.proto.containerd.content.v1.WriteAction;
import io.fastpull.proto.containerd.content.v1.WriteContentRequest;
import io.fastpull.proto.containerd.content.v1.WriteContentResponse;
import io.fastpull.registry.Digest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * containerd's content store as the pull needs it: look a blob up, stream one in (stat, write,
 * commit with the expected digest and size, as containerd's own fetcher does) and put labels on
 * it. A partly written ingest of the same ref is resumed. Not thread-safe per blob.
 */
final class ContentStore {
  private static final int CHUNK = 1 << 20;
  private static final long WAIT_SECONDS = 300;
  private static final Object END = new Object();

  private final ContainerdConnection containerd;

  ContentStore(ContainerdConnection containerd) {
    this.containerd = containerd;
  }

  /** The blob's info, or empty when containerd does not have it. */
  Optional<Info> info(Digest digest) throws PullException {
    try {
      return Optional.of(containerd.content()
          .info(InfoRequest.newBuilder().setDigest(digest.toString()).build()).getInfo());
    } catch (StatusRuntimeException e) {
      if (ContainerdConnection.is(e, Status.Code.NOT_FOUND)) {
        return Optional.empty();
      }
      throw containerd.failure("content info " + digest, e);
    }
  }

  /** Sets {@code labels} on a blob containerd has, keeping its other labels. */
  void label(Digest digest, Map<String, String> labels) throws PullException {
    if (labels.isEmpty()) {
      return;
    }
    FieldMask.Builder mask = FieldMask.newBuilder();
    labels.keySet().forEach(k -> mask.addPaths("labels." + k));
    try {
      containerd.content().update(UpdateRequest.newBuilder()
          .setInfo(Info.newBuilder().setDigest(digest.toString()).putAllLabels(labels))
          .setUpdateMask(mask).build());
    } catch (StatusRuntimeException e) {
      throw containerd.failure("labelling content " + digest, e);
    }
  }

  /**
   * Makes sure the store holds the blob, with {@code labels}: streams {@code source} in unless it
   * is there already. {@code source} is opened only when needed, and must yield exactly the blob
   * (the store checks digest and size at commit).
   *
   * @return the bytes read from the source (0 if the blob was there)
   */
  long ensure(Digest digest, long size, Map<String, String> labels, Source source,
      LongConsumer progress) throws IOException {
    if (info(digest).isPresent()) {
      label(digest, labels);
      return 0;
    }
    String ref = "fastpull-pull-" + digest;
    BlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    StreamObserver<WriteContentRequest> requests = containerd.contentStream().write(
        new StreamObserver<>() {
          @Override
          public void onNext(WriteContentResponse r) {
            answers.add(r);
          }

          @Override
          public void onError(Throwable t) {
            answers.add(t);
          }

          @Override
          public void onCompleted() {
            answers.add(END);
          }
        });
    boolean finished = false;
    try {
      WriteContentResponse stat;
      try {
        stat = send(requests, answers, WriteContentRequest.newBuilder()
            .setAction(WriteAction.STAT).setRef(ref).setTotal(size)
            .setExpected(digest.toString()).build(), digest);
      } catch (StatusRuntimeException e) {
        if (ContainerdConnection.is(e, Status.Code.ALREADY_EXISTS)) {
          finished = true;
          label(digest, labels);
          return 0;
        }
        throw containerd.failure("writing content " + digest, e);
      }
      long offset = stat.getOffset() <= size ? stat.getOffset() : 0;
      long read = 0;
      try (InputStream in = source.open()) {
        // A resumed ingest already holds the first bytes; the stream is read past them so the
        // registry client still checks the whole blob's digest at its end.
        in.skipNBytes(offset);
        read += offset;
        byte[] buf = new byte[CHUNK];
        while (true) {
          int n = in.readNBytes(buf, 0, buf.length);
          if (n == 0) {
            break;
          }
          send(requests, answers, WriteContentRequest.newBuilder().setAction(WriteAction.WRITE)
              .setRef(ref).setOffset(offset).setData(ByteString.copyFrom(buf, 0, n)).build(),
              digest);
          offset += n;
          read += n;
          progress.accept(read);
        }
      }
      try {
        // The offset must be the current one: containerd reads offset 0 as "truncate".
        send(requests, answers, WriteContentRequest.newBuilder().setAction(WriteAction.COMMIT)
            .setRef(ref).setOffset(offset).setTotal(size).setExpected(digest.toString()).putAllLabels(labels)
            .build(), digest);
      } catch (StatusRuntimeException e) {
        if (!ContainerdConnection.is(e, Status.Code.ALREADY_EXISTS)) {
          throw e;
        }
        label(digest, labels);
      }
      finished = true;
      requests.onCompleted();
      return read;
    } catch (StatusRuntimeException e) {
      finished = true;
      throw containerd.failure("writing content " + digest, e);
    } finally {
      if (!finished) {
        requests.onError(Status.CANCELLED.withDescription("pull failed").asRuntimeException());
      }
    }
  }

  private static WriteContentResponse send(StreamObserver<WriteContentRequest> requests,
      BlockingQueue<Object> answers, WriteContentRequest request, Digest digest)
      throws IOException {
    requests.onNext(request);
    Object answer;
    try {
      answer = answers.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted writing " + digest);
    }
    if (answer == null) {
      throw new IOException("containerd did not answer a content write of " + digest + " within "
          + WAIT_SECONDS + " s");
    }
    if (answer instanceof WriteContentResponse r) {
      return r;
    }
    if (answer instanceof StatusRuntimeException e) {
      throw e;
    }
    if (answer instanceof Throwable t) {
      throw Status.fromThrowable(t).asRuntimeException();
    }
    throw new IOException("containerd ended the content write of " + digest + " early");
  }

  /** Opens the bytes of one blob. */
  interface Source {
    InputStream open() throws IOException;
  }
}
