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
}
