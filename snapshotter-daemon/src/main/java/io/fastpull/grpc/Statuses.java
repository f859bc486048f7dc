package io.fastpull.grpc;

import io.fastpull.snapshot.SnapshotException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one translation of errors to gRPC status codes, for every service on the socket: {@link
 * SnapshotException} codes map to their namesakes, {@link IllegalStateException} (a call while
 * closing) to UNAVAILABLE, other I/O failures to INTERNAL, anything else to UNKNOWN.
 */
final class Statuses {
  private static final Logger log = LoggerFactory.getLogger(Statuses.class);

  private Statuses() {}

  /** A unary call's body. */
  @FunctionalInterface
  interface Call<T> {
    T run() throws SnapshotException, IOException;
  }

  /** Runs {@code call} and answers with its result, or with its error translated. */
  static <T> void unary(String method, String key, StreamObserver<T> out, Call<T> call) {
    T result;
    try {
      result = call.run();
    } catch (Exception e) {
      out.onError(of(method, key, e));
      return;
    }
    out.onNext(result);
    out.onCompleted();
  }

  /** The status for {@code e}, logged once here (refusals at DEBUG, failures at ERROR). */
  static RuntimeException of(String method, String key, Exception e) {
    if (e instanceof SnapshotException) {
      SnapshotException se = (SnapshotException) e;
      log.debug("call refused method={} key={} code={} error={}", method, key, se.code(), se.getMessage());
      return code(se.code()).withDescription(se.getMessage()).asRuntimeException();
    }
    if (e instanceof IllegalStateException) {
      log.warn("call while closing method={} key={} error={}", method, key, e.getMessage());
      return Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException();
    }
    log.error("call failed method={} key={}", method, key, e);
    Status s = e instanceof IOException ? Status.INTERNAL : Status.UNKNOWN;
    return s.withDescription(method + " " + key + ": " + e).asRuntimeException();
  }

  private static Status code(SnapshotException.Code code) {
    switch (code) {
      case NOT_FOUND:
        return Status.NOT_FOUND;
      case ALREADY_EXISTS:
        return Status.ALREADY_EXISTS;
      case FAILED_PRECONDITION:
        return Status.FAILED_PRECONDITION;
      case INVALID_ARGUMENT:
        return Status.INVALID_ARGUMENT;
      default:
        return Status.UNAVAILABLE;
    }
  }
}
