package dev.junction.store;

/** The operation arrived after {@link SsdStore#close()} began. */
public final class StoreClosedException extends StoreException {
  public StoreClosedException(String message) {
    super(message);
  }
}
