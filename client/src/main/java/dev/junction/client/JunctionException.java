package dev.junction.client;

import io.grpc.Status;
import java.util.Objects;

/**
 * A Junction call that failed. Carries the gRPC status {@link #code()} the server (or the transport)
 * answered with and its message. The codes users act on have their own subclasses:
 *
 * <ul>
 *   <li>{@link InvalidArgumentException} ({@code INVALID_ARGUMENT}): a key, value, interval or limit is
 *       out of bounds; nothing was written. Do not retry.
 *   <li>{@link UnavailableException} ({@code UNAVAILABLE}): no endpoint could serve the call now
 *       (every endpoint was tried once). Retry later; a write retried by the client is applied at
 *       most once.
 *   <li>{@link DeadlineExceededException} ({@code DEADLINE_EXCEEDED}): the call's deadline passed.
 *   <li>{@link StoreFullException} ({@code RESOURCE_EXHAUSTED}): the store is full; reads and deletes
 *       still work.
 *   <li>{@link OutcomeUnknownException} ({@code UNKNOWN}, or a write's {@code DEADLINE_EXCEEDED}): a
 *       write that may or may not have been applied.
 * </ul>
 *
 * <p>Any other code surfaces as a plain {@code JunctionException}.
 */
public class JunctionException extends RuntimeException {
  private final Status.Code code;

  /**
   * Creates an exception.
   *
   * @param code the gRPC status code
   * @param message what went wrong
   * @param cause the underlying error, or {@code null}
   */
  public JunctionException(Status.Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** The gRPC status code of the failure. */
  public Status.Code code() {
    return code;
  }

  /**
   * Creates the exception for a code: the subclass that matches it, or a plain {@code
   * JunctionException}.
   *
   * @param code the gRPC status code
   * @param message what went wrong
   * @param cause the underlying error, or {@code null}
   * @return the exception, not thrown
   */
  public static JunctionException of(Status.Code code, String message, Throwable cause) {
    return switch (code) {
      case INVALID_ARGUMENT -> new InvalidArgumentException(message, cause);
      case UNAVAILABLE -> new UnavailableException(message, cause);
      case DEADLINE_EXCEEDED -> new DeadlineExceededException(message, cause);
      case RESOURCE_EXHAUSTED -> new StoreFullException(message, cause);
      case UNKNOWN -> new OutcomeUnknownException(code, message, cause);
      default -> new JunctionException(code, message, cause);
    };
  }

  /**
   * Creates the exception for a gRPC status, with its description (and its cause's message) as
   * message.
   *
   * @param status the status a call ended with, not OK
   * @return the exception, not thrown
   */
  public static JunctionException of(Status status) {
    return of(status.getCode(), describe(status), status.asRuntimeException());
  }

  /** A one-line description of a status: its description, and its cause's message if it adds one. */
  static String describe(Status status) {
    String description = status.getDescription() == null ? status.getCode().name() : status.getDescription();
    Throwable cause = status.getCause();
    if (cause != null && cause.getMessage() != null && !description.contains(cause.getMessage())) {
      return description + " (" + cause.getMessage() + ")";
    }
    return description;
  }

  @Override
  public String toString() {
    return getClass().getName() + ": " + code + ": " + getMessage();
  }
}
