package dev.junction.node.grpc;

import dev.junction.sharding.cluster.Router;
import dev.junction.sharding.cluster.RouterUnavailableException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/** How router answers and failures become the gRPC status codes the API promises. */
final class Replies {
  /** Trailer of an {@code UNAVAILABLE} answer: the node passed the request to no replica, so it was not applied. */
  static final io.grpc.Metadata.Key<String> NOT_APPLIED =
      io.grpc.Metadata.Key.of("junction-not-applied", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

  private Replies() {}

  /** The status for an answer that is not the one a request hoped for. */
  static StatusRuntimeException failure(Router.Result result) {
    if (result instanceof Router.Unavailable u) {
      if (u.notApplied()) {
        io.grpc.Metadata trailers = new io.grpc.Metadata();
        trailers.put(NOT_APPLIED, "true");
        return Status.UNAVAILABLE.withDescription(u.why() + "; retry").asRuntimeException(trailers);
      }
      return Status.UNAVAILABLE.withDescription(u.why() + "; retry").asRuntimeException();
    }
    if (result instanceof Router.Failed f) {
      Status s =
          switch (f.kind()) {
            case STORE_FULL -> Status.RESOURCE_EXHAUSTED;
            case INVALID -> Status.INVALID_ARGUMENT;
            case INTERNAL -> Status.INTERNAL;
            case OUTCOME_UNKNOWN -> Status.UNKNOWN;
          };
      return s.withDescription(f.message()).asRuntimeException();
    }
    return Status.INTERNAL.withDescription("unexpected answer " + result).asRuntimeException();
  }

  /** The status for a request that did not get an answer. */
  static StatusRuntimeException failure(Throwable error, boolean write) {
    Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (e instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof RouterUnavailableException) {
      // The gateway sent the request to no replica (no table yet, or not started): certainly not applied.
      io.grpc.Metadata trailers = new io.grpc.Metadata();
      trailers.put(NOT_APPLIED, "true");
      return Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException(trailers);
    }
    if (e instanceof TimeoutException) {
      return write
          ? Status.UNKNOWN
              .withDescription("outcome unknown: the write got no answer in time inside the cluster and may "
                  + "or may not have been applied; retry it with the same request header to apply it at "
                  + "most once")
              .asRuntimeException()
          : Status.UNAVAILABLE.withDescription("no answer in time; retry").asRuntimeException();
    }
    return Status.INTERNAL.withDescription(String.valueOf(e)).asRuntimeException();
  }

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
