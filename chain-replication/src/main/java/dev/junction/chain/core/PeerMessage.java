package dev.junction.chain.core;

import java.util.List;

/** Messages between the replicas of one chain. Every one carries the sender's epoch and slot. */
public sealed interface PeerMessage<R> {
  long epoch();

  int fromSlot();

  /** Entries for the successor, in sequence order, each already durable at the sender. */
  record Forward<R>(long epoch, int fromSlot, List<LogEntry<R>> entries) implements PeerMessage<R> {
    public Forward {
      entries = List.copyOf(entries);
    }
  }

  /** From the successor: the tail has committed everything up to {@code upToSeq}. */
  record Ack<R>(long epoch, int fromSlot, long upToSeq) implements PeerMessage<R> {}

  /**
   * From a successor that (re)joined the chain at this epoch: it holds every entry up to
   * {@code lastReceived}; the predecessor resends what comes after.
   */
  record Hello<R>(long epoch, int fromSlot, long lastReceived) implements PeerMessage<R> {}

  /**
   * The predecessor's answer to a {@link Hello}: it has sent (or is sending) every entry up to
   * {@code upToSeq}, which covers everything committed so far. A tail serves reads only once it holds
   * that much.
   */
  record Welcome<R>(long epoch, int fromSlot, long upToSeq) implements PeerMessage<R> {}

  /** The answer to a message of another epoch: the receiver's epoch, so a stale side can catch up. */
  record EpochNotice<R>(long epoch, int fromSlot) implements PeerMessage<R> {}
}
