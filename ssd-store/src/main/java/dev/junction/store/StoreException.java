package dev.junction.store;

/**
 * Base of every error the store reports on purpose. Callers that translate errors for clients (the node's
 * gRPC facade) switch on the subclass: {@link InvalidRequestException} is the caller's fault,
 * {@link StoreFullException} is a capacity limit, {@link StoreOpenException} and
 * {@link StoreClosedException} concern the store's lifecycle, and a plain {@code StoreException} is an
 * unexpected engine failure.
 */
public class StoreException extends RuntimeException {
  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
