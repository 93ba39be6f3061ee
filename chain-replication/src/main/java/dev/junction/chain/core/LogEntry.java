package dev.junction.chain.core;

import dev.junction.store.Versioned;

/**
 * One write of a range, in the order the head assigned: its sequence number, what it does, which client
 * request it answers, and where the answer goes ({@code R}: an opaque reply handle that the shell
 * understands; null when nobody waits, e.g. for entries recovered from disk).
 */
public record LogEntry<R>(long seq, Mutation mutation, RequestId origin, R replyTo) {
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

  /** The same entry without its reply handle (what is kept on disk). */
  public LogEntry<R> withoutReply() {
    return new LogEntry<>(seq, mutation, origin, null);
  }
}
