package dev.junction.client;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/** Bridges gRPC's asynchronous stubs to {@link CompletableFuture}s (package-private). */
final class GrpcFutures {
  private GrpcFutures() {}

  /**
   * Starts a unary call and returns its answer, converted, as a future. Cancelling the future cancels
   * the call.
   *
   * @param start starts the call with the given observer, e.g. {@code o -> stub.put(request, o)}
   * @param convert turns the response into the future's value (on the thread that receives it)
   */
  static <R, T> CompletableFuture<T> unary(Consumer<StreamObserver<R>> start, Function<R, T> convert) {
    UnaryObserver<R, T> observer = new UnaryObserver<>(convert);
    start.accept(observer);
    return observer.future;
  }

  /** Cancels the call when the future is cancelled. */
  static void cancelWith(CompletableFuture<?> future, ClientCallStreamObserver<?> call) {
    future.whenComplete(
        (value, error) -> {
          if (future.isCancelled()) {
            call.cancel("cancelled by the caller", null);
          }
        });
  }

  private static final class UnaryObserver<R, T> implements ClientResponseObserver<Object, R> {
    private final CompletableFuture<T> future = new CompletableFuture<>();
    private final Function<R, T> convert;
    private R value;

    UnaryObserver(Function<R, T> convert) {
      this.convert = convert;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Object> call) {
      cancelWith(future, call);
    }

    @Override
    public void onNext(R response) {
      value = response;
    }

    @Override
    public void onError(Throwable error) {
      future.completeExceptionally(error);
    }

    @Override
    public void onCompleted() {
      try {
        future.complete(convert.apply(value));
      } catch (RuntimeException e) {
        future.completeExceptionally(e);
      }
    }
  }
}
