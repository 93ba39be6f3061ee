package dev.junction.chain.replica;

import java.util.function.LongConsumer;

/**
 * How long the writes that this node's heads sequence take, in nanoseconds, for the node's metrics: from
 * the moment a head sequences a client's write to its entry being durable in the head's own store
 * ({@link #persisted}), and to every replica of the chain having it durably, the moment the head may answer
 * ({@link #committed}). The difference is the chain's share of a write's time; what a client sees on top
 * is the hand-offs into and out of the replica. Recorders are set once by the node ({@link #observe});
 * until then nothing is recorded. Thread-safe.
 */
public final class WriteTimings {
  private static final LongConsumer NONE = nanos -> {};

  private volatile LongConsumer persisted = NONE;
  private volatile LongConsumer committed = NONE;

  /** Records every later write's two times with these recorders (called from replicas' threads). */
  public void observe(LongConsumer persisted, LongConsumer committed) {
    this.persisted = persisted;
    this.committed = committed;
  }

  void persisted(long nanos) {
    persisted.accept(nanos);
  }

  void committed(long nanos) {
    committed.accept(nanos);
  }
}
