package dev.junction.chain.core;

import java.util.List;

/** Messages between the replicas of one chain. Every one carries the sender's epoch and slot. */
public sealed interface PeerMessage {
  long epoch();

  int fromSlot();

  /**
   * For the successor: entries in sequence order, sent as soon as the sender has them, durable or not
   * (pipelining).
   */
  record Forward(long epoch, int fromSlot, List<LogEntry> entries) implements PeerMessage {
    public Forward {
      entries = List.copyOf(entries);
    }
  }

  /** For the tail: the sender holds every entry up to {@code upToSeq} durably. Cumulative. */
  record Durable(long epoch, int fromSlot, long upToSeq) implements PeerMessage {}

  /**
   * From the tail, to every other replica: everything up to {@code upToSeq} is committed, i.e. durable at
   * every replica of the chain. Cumulative.
   */
  record Ack(long epoch, int fromSlot, long upToSeq) implements PeerMessage {}

  /**
   * From a successor that (re)joined the chain at this epoch: it holds every entry up to
   * {@code lastReceived}; the predecessor resends what comes after.
   */
  record Hello(long epoch, int fromSlot, long lastReceived) implements PeerMessage {}

  /**
   * The predecessor's answer to a {@link Hello}: it has sent (or is sending) every entry up to
   * {@code upToSeq}, which covers everything committed so far. A replica serves reads only once it holds
   * {@code upToSeq}.
   */
  record Welcome(long epoch, int fromSlot, long upToSeq) implements PeerMessage {}

  /** The answer to a message of another epoch: the receiver's epoch, so a stale side can catch up. */
  record EpochNotice(long epoch, int fromSlot) implements PeerMessage {}

  /**
   * From a replica that became head: what does each other replica hold? Entries are forwarded before
   * they are durable, so after a crash a successor may durably hold entries its head lost; the head takes
   * them back before it assigns a sequence number again, so that no number ever names two writes.
   */
  record Probe(long epoch, int fromSlot) implements PeerMessage {}

  /** The answer to a {@link Probe}: the sender holds every entry up to {@code lastReceived}. */
  record Holding(long epoch, int fromSlot, long lastReceived) implements PeerMessage {}

  /** From the head: send me your entries {@code fromSeq..toSeq}. */
  record Fetch(long epoch, int fromSlot, long fromSeq, long toSeq) implements PeerMessage {}

  /** The answer to a {@link Fetch}: entries in sequence order. */
  record Backfill(long epoch, int fromSlot, List<LogEntry> entries) implements PeerMessage {
    public Backfill {
      entries = List.copyOf(entries);
    }
  }

  /**
   * From a new replica that copied its range and is not in the chain yet, to the tail: send it the
   * committed entries after {@code lastHeld}, and every entry the tail commits from now on, as {@link
   * Forward}s, until the configuration changes. A follower applies them as they come, so that it joins
   * with little to catch up and its node runs the replica's write path (and compiles it) before any
   * client waits on it there. {@code node} is where the follower runs (it is in no configuration yet).
   */
  record Follow(long epoch, int fromSlot, long lastHeld, String node) implements PeerMessage {}
}
