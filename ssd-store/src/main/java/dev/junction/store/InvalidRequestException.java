package dev.junction.store;

/** A key, value, interval or sequence number outside the store's limits. Nothing was written. */
public final class InvalidRequestException extends StoreException {
  public InvalidRequestException(String message) {
    super(message);
  }
}
