package dev.junction.client;

import io.grpc.Status;

/**
 * The store is full ({@code RESOURCE_EXHAUSTED}): the write was refused. Reads and deletes still
 * work.
 */
public final class StoreFullException extends JunctionException {
  /**
   * Creates the exception.
   *
   * @param message what went wrong
   * @param cause the underlying error, or {@code null}
   */
  public StoreFullException(String message, Throwable cause) {
    super(Status.Code.RESOURCE_EXHAUSTED, message, cause);
  }
}
