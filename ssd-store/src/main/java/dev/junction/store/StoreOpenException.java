package dev.junction.store;

/** The store directory could not be opened: foreign or corrupt contents, a newer format, or in use. */
public final class StoreOpenException extends StoreException {
  public StoreOpenException(String message) {
    super(message);
  }

  public StoreOpenException(String message, Throwable cause) {
    super(message, cause);
  }
}
