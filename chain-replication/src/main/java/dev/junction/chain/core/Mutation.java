package dev.junction.chain.core;

import dev.junction.store.Versioned;

/**
 * What a log entry does to the range's state. The head resolves every client write into one of these, so
 * that every replica applies exactly the same change: a compare-and-set is decided once, at the head.
 */
public sealed interface Mutation {
  byte[] key();

  /** A put. */
  record Set(byte[] key, byte[] value) implements Mutation {}

  /** A delete. */
  record Remove(byte[] key) implements Mutation {}

  /** A compare-and-set whose condition held: sets the new value. */
  record CasApplied(byte[] key, byte[] value) implements Mutation {}

  /**
   * A compare-and-set whose condition failed: changes nothing, but still travels down the chain so that
   * its answer (the value it saw, which may not be committed yet) is given only once everything before it
   * committed.
   *
   * @param observed the value the head saw, or null when the key was absent
   */
  record CasRejected(byte[] key, Versioned observed) implements Mutation {}

  /**
   * The range ends here and becomes two: {@code [start, key)} as range {@code leftId} and {@code [key,
   * end)} as range {@code rightId}, each starting from the state as of this entry. Changes no data; once
   * the head sequenced it, the range takes no more writes (it is <i>sealed</i>), so this is its last
   * entry. {@code key} is the split point, strictly inside the range.
   */
  record Split(byte[] key, long leftId, long rightId) implements Mutation {
    public Split {
      if (key == null || key.length == 0) {
        throw new IllegalArgumentException("a split point is a non-empty key");
      }
      if (leftId < 0 || rightId < 0 || leftId == rightId) {
        throw new IllegalArgumentException("a split needs two distinct range ids, not " + leftId + " and " + rightId);
      }
    }
  }
}
