package dev.junction.chain.bulk;

import dev.junction.store.Keys;

/** What a new replica asks its source for: range {@code rangeId}'s entries in {@code [from, to)}. */
public record TransferRequest(long rangeId, byte[] from, byte[] to) {
  public TransferRequest {
    if (from == null || to == null) {
      throw new IllegalArgumentException("a transfer interval needs both bounds (empty = open)");
    }
    if (from.length > Keys.MAX_BOUND_BYTES || to.length > Keys.MAX_BOUND_BYTES) {
      throw new IllegalArgumentException("a transfer bound is longer than " + Keys.MAX_BOUND_BYTES + " bytes");
    }
  }

  /** The same request for what follows {@code lastKey} (to resume an interrupted transfer). */
  public TransferRequest after(byte[] lastKey) {
    return new TransferRequest(rangeId, Keys.successor(lastKey), to);
  }
}
