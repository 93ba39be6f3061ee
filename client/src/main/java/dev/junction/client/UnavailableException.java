package dev.junction.client;

import io.grpc.Status;

/**
 * No endpoint could serve the call now ({@code UNAVAILABLE}): each endpoint was tried once. Retrying
 * later is safe, also for writes (a retry carries the same request header, so the cluster applies the
 * write at most once).
 *
 * <p>Whether a failed write may still have been applied: {@link #notApplied()} is true when no attempt
 * reached a node that could have passed it on (every endpoint refused the connection, or answered that
 * it did not send the request to any replica). Otherwise the write may have been applied.
 */
public final class UnavailableException extends JunctionException {
  private final boolean notApplied;

  /**
   * Creates the exception.
   *
   * @param message what went wrong
   * @param cause the underlying error, or {@code null}
   */
  public UnavailableException(String message, Throwable cause) {
    this(message, cause, false);
  }

  /**
   * Creates the exception.
   *
   * @param message what went wrong
   * @param cause the underlying error, or {@code null}
   * @param notApplied whether the call certainly did not reach a replica
   */
  public UnavailableException(String message, Throwable cause, boolean notApplied) {
    super(Status.Code.UNAVAILABLE, message, cause);
    this.notApplied = notApplied;
  }

  /** True when the call certainly did not take effect: no attempt reached a replica. */
  public boolean notApplied() {
    return notApplied;
  }
}
