package dev.junction.sharding.cluster;

/** The router cannot serve a request now (no routing table yet, no replica answered); retry later. */
public final class RouterUnavailableException extends RuntimeException {
  public RouterUnavailableException(String message) {
    super(message);
  }
}
