package dev.junction.chain.core;

import dev.junction.store.Versioned;

/**
 * One write of a range, in the order the head assigned: its sequence number, what it does, and which
 * client request it answers (null for writes without a request id). The same on every replica and on
 * disk; who waits for the answer is the head's business, not the entry's.
 */
public record LogEntry(long seq, Mutation mutation, RequestId origin) {
  /** The answer to the client request of this entry; the same on every replica. */
  public WriteResult result() {
    if (mutation instanceof Mutation.CasApplied applied) {
      return new WriteResult.CasDone(true, new Versioned(applied.value(), seq));
    }
    if (mutation instanceof Mutation.CasRejected rejected) {
      return new WriteResult.CasDone(false, rejected.observed());
    }
    return new WriteResult.Written(seq);
  }

  /** Whether the entry changes the key's value (a rejected compare-and-set and a range's ending do not). */
  public boolean changesData() {
    return !(mutation instanceof Mutation.CasRejected) && !(mutation instanceof Mutation.Ending);
  }

  /**
   * The key's value once this entry is applied: null for a delete. Only for entries that {@linkplain
   * #changesData change data}.
   */
  public Versioned valueAfter() {
    if (mutation instanceof Mutation.Set set) {
      return new Versioned(set.value(), seq);
    }
    if (mutation instanceof Mutation.CasApplied applied) {
      return new Versioned(applied.value(), seq);
    }
    return null;
  }

  /** Bytes of keys and values the entry carries (for cutting messages). */
  public long size() {
    Mutation m = mutation;
    long size = 64 + m.key().length;
    if (m instanceof Mutation.Set set) {
      size += set.value().length;
    } else if (m instanceof Mutation.CasApplied ca) {
      size += ca.value().length;
    } else if (m instanceof Mutation.CasRejected cr && cr.observed() != null) {
      size += cr.observed().value().length;
    }
    return size;
  }
}
