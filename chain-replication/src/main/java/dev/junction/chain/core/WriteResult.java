package dev.junction.chain.core;

import dev.junction.store.Versioned;

/** The answer to a committed write. */
public sealed interface WriteResult {
  /** A put or delete committed with this sequence number. */
  record Written(long seq) implements WriteResult {}

  /**
   * A compare-and-set committed: whether it applied, and the key's value after it (null when absent).
   */
  record CasDone(boolean applied, Versioned current) implements WriteResult {}
}
