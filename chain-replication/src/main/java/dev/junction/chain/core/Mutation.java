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
   * An entry that ends the range: the last of its log. Once the head sequenced one, the range takes no
   * more writes (it is <i>sealed</i>); once it committed, every replica holds the range's final state,
   * from which the ranges that take over its keys start, with no copy. Changes no data.
   */
  sealed interface Ending extends Mutation permits Split, Seal, MergeInto {
    /** The same ending as {@code other}: the same kind and the same new range ids (asked again). */
    boolean sameAs(Ending other);
  }

  /**
   * The range ends here and becomes two: {@code [start, key)} as range {@code leftId} and {@code [key,
   * end)} as range {@code rightId}, each starting from the state as of this entry. {@code key} is the
   * split point, strictly inside the range.
   */
  record Split(byte[] key, long leftId, long rightId) implements Ending {
    public Split {
      if (key == null || key.length == 0) {
        throw new IllegalArgumentException("a split point is a non-empty key");
      }
      if (leftId < 0 || rightId < 0 || leftId == rightId) {
        throw new IllegalArgumentException("a split needs two distinct range ids, not " + leftId + " and " + rightId);
      }
    }

    @Override
    public boolean sameAs(Ending other) {
      return other instanceof Split s && s.leftId == leftId && s.rightId == rightId;
    }
  }

  /**
   * The range ends here to be merged with the range after it into range {@code intoId} (the left part of
   * a merge: it is sealed first; the right part's {@link MergeInto} then starts the merged range). {@code
   * key} is the range's end, the boundary of the merge.
   */
  record Seal(byte[] key, long intoId) implements Ending {
    @Override
    public boolean sameAs(Ending other) {
      return other instanceof Seal s && s.intoId == intoId;
    }
  }

  /**
   * The range ends here and, with the range before it (sealed at {@code leftSeq}, interval starting at
   * {@code leftStart}, chain {@code leftChain}), becomes range {@code intoId}: {@code [leftStart, end)},
   * starting at sequence number {@code max(leftSeq, this entry's)} in the left range's slot on each node.
   * {@code key} is the range's start, the boundary of the merge.
   */
  record MergeInto(byte[] key, long intoId, long leftSeq, byte[] leftStart, java.util.List<Replica> leftChain)
      implements Ending {
    public MergeInto {
      leftChain = java.util.List.copyOf(leftChain);
    }

    @Override
    public boolean sameAs(Ending other) {
      return other instanceof MergeInto m && m.intoId == intoId && m.leftSeq == leftSeq;
    }
  }
}
