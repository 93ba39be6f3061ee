package dev.junction.client;

import io.grpc.Status;

/**
 * A write whose outcome is unknown: it may or may not have been applied. The cluster answers
 * {@code UNKNOWN} when a write it accepted got no answer in time inside the cluster, and the client
 * reports its own deadline passing on a write ({@code DEADLINE_EXCEEDED}) the same way. Never treat this
 * as "not applied": read the key, or retry the write with the same request header (the client's
 * {@code ...Async} calls do not retry it for you), which the cluster applies at most once.
 */
public final class OutcomeUnknownException extends JunctionException {
  public OutcomeUnknownException(Status.Code code, String message, Throwable cause) {
    super(code, message, cause);
  }
}
