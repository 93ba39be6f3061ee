package dev.junction.client;

import io.grpc.Status;

/**
 * A key, value, interval or limit was rejected ({@code INVALID_ARGUMENT}); nothing was written. The
 * message says what is out of bounds.
 */
public final class InvalidArgumentException extends JunctionException {
  /**
   * Creates the exception.
   *
   * @param message what went wrong
   * @param cause the underlying error, or {@code null}
   */
  public InvalidArgumentException(String message, Throwable cause) {
    super(Status.Code.INVALID_ARGUMENT, message, cause);
  }
}
