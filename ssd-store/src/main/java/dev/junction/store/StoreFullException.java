package dev.junction.store;

/**
 * The store reached its configured maximum size ({@code junction.store.max-map-size}) and the write was
 * not applied. Reads keep working, and so do batches that only delete: part of the map is held back for
 * them so that space can be freed.
 */
public final class StoreFullException extends StoreException {
  public StoreFullException(String message) {
    super(message);
  }
}
