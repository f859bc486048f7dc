package io.fastpull.pull;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ContainerdConnection} built, and first used, on a thread of its own. The first gRPC
 * call of a fresh JVM loads gRPC, Netty and protobuf (about half a second on a small machine);
 * done here, that overlaps the pull's registry round trips instead of adding to them.
 *
 * <p>Lifecycle: {@link #start} (checks the socket at once), any number of {@link #submit} and
 * {@link #await} calls from one thread, then {@link #close()} (idempotent), which waits for the
 * background thread to finish what was submitted and closes the connection. Work runs on the
 * background thread in submission order.
 */
final class BackgroundConnection implements AutoCloseable {
  /** Work that needs the connection; its checked failure is a {@link PullException}. */
  interface Work<T> {
    T run(ContainerdConnection containerd) throws PullException;
  }

  private final ExecutorService thread;
  private final CompletableFuture<ContainerdConnection> connection;
  private boolean closed;

  private BackgroundConnection(ExecutorService thread,
      CompletableFuture<ContainerdConnection> connection) {
    this.thread = thread;
    this.connection = connection;
  }

  /** @throws PullException CONTAINERD_UNAVAILABLE when the socket does not exist */
  static BackgroundConnection start(Path address, String namespace) throws PullException {
    ContainerdConnection.requireSocket(address);
    ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fastpull-containerd");
      t.setDaemon(true);
      return t;
    });
    CompletableFuture<ContainerdConnection> connection = new CompletableFuture<>();
    thread.execute(() -> {
      try {
        connection.complete(ContainerdConnection.open(address, namespace));
      } catch (Throwable t) {
        connection.completeExceptionally(t);
      }
    });
    return new BackgroundConnection(thread, connection);
  }

  /** Runs {@code work} on the background thread once the connection is made. */
  <T> CompletableFuture<T> submit(Work<T> work) {
    if (closed) {
      throw new IllegalStateException("connection to containerd is closed");
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    thread.execute(() -> {
      try {
        result.complete(work.run(connection.join()));
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    });
    return result;
  }

  /** The connection, once made. */
  ContainerdConnection await() throws IOException {
    return await(connection);
  }

  /**
   * The result of background work, with its failure rethrown as it was thrown there.
   *
   * @throws InterruptedIOException if this thread is interrupted while waiting
   */
  static <T> T await(CompletableFuture<T> future) throws IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for containerd");
    } catch (ExecutionException e) {
      Throwable c = e.getCause() instanceof java.util.concurrent.CompletionException
          && e.getCause().getCause() != null ? e.getCause().getCause() : e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IOException("containerd call failed: " + c, c);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    thread.shutdown();
    try {
      // Bounded like every call (the calls carry deadlines); the thread is a daemon thread.
      thread.awaitTermination(5, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connection.thenAccept(ContainerdConnection::close);
  }
}
