package dev.junction.client;

import io.grpc.Status;

/**
 * The call did not complete within its deadline ({@code DEADLINE_EXCEEDED}). A write may or may not
 * have been applied.
 */
public final class DeadlineExceededException extends JunctionException {
  /**
   * Creates the exception.
   *
   * @param message what went wrong
   * @param cause the underlying error, or {@code null}
   */
  public DeadlineExceededException(String message, Throwable cause) {
    super(Status.Code.DEADLINE_EXCEEDED, message, cause);
  }
}
