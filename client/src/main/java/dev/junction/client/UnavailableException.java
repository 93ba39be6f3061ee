package dev.junction.client;

import io.grpc.Status;

/**
 * No endpoint could serve the call now ({@code UNAVAILABLE}): each endpoint was tried once. Retrying
 * later is safe, also for writes.
 */
public final class UnavailableException extends JunctionException {
  /**
   * Creates the exception.
   *
   * @param message what went wrong
   * @param cause the underlying error, or {@code null}
   */
  public UnavailableException(String message, Throwable cause) {
    super(Status.Code.UNAVAILABLE, message, cause);
  }
}
