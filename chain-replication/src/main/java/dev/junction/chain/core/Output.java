package dev.junction.chain.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything one step of {@link ChainReplica} asks its shell to do. The shell must:
 *
 * <ol>
 *   <li>write {@link #persist} to the store as one batch (the data changes, the log records, and the
 *       range's applied sequence number with {@link #persistCommitted}), after every batch of earlier
 *       outputs, and call {@link ChainReplica#onPersisted} with the last sequence number once it is
 *       durable;
 *   <li>send the entries of {@link #catchUp}, if any, from the stored replication log, then {@link
 *       #messages}, in order. Forwards may leave before their entries are durable here (pipelining): the
 *       core acknowledges and answers only what is durable;
 *   <li>deliver {@link #replies};
 *   <li>serve {@link #reads} with the replica's {@link ReadView}.
 * </ol>
 */
public final class Output<R> {
  /** A message for the replica in slot {@code toSlot} of the same range. */
  public record Envelope<R>(int toSlot, PeerMessage message) {}

  /** An answer for a client. */
  public record Reply<R>(R replyTo, ClientReply reply) {}

  /** A read the shell serves and answers. */
  public record Read<R>(R replyTo, ReadOp op) {}

  /**
   * Committed entries {@code fromSeq..toSeq} a successor lacks and this replica no longer holds in
   * memory: the shell reads them from its stored replication log and hands them to {@link
   * ChainReplica#onStoredLog}, before sending {@link #messages}.
   */
  public record CatchUp(int toSlot, long fromSeq, long toSeq) {}

  /**
   * The entry that ends the range (a split or half of a merge) committed at {@code seq}: every replica
   * holds the range's final state. The shell tells the controller, which goes on with the split or merge.
   */
  public record Ended(long seq, Mutation.Ending ending) {}

  final List<LogEntry> persist = new ArrayList<>();
  Ended ended;
  List<Answered> handOver;
  long persistCommitted;
  CatchUp catchUp;
  final List<Envelope<R>> messages = new ArrayList<>();
  final List<Reply<R>> replies = new ArrayList<>();
  final List<Read<R>> reads = new ArrayList<>();
  long newerEpochSeen = -1;
  boolean leaseWanted;

  public List<LogEntry> persist() {
    return persist;
  }

  /** The commit point to store with {@link #persist} (a replica restarts knowing at least this much). */
  public long persistCommitted() {
    return persistCommitted;
  }

  public List<Envelope<R>> messages() {
    return messages;
  }

  public List<Reply<R>> replies() {
    return replies;
  }

  public List<Read<R>> reads() {
    return reads;
  }

  /**
   * A newer epoch of this range that a peer or client spoke of, or -1: the shell should fetch the newer
   * configuration and pass it to {@link ChainReplica#onConfig}.
   */
  public long newerEpochSeen() {
    return newerEpochSeen;
  }

  /** Entries to send from the stored log before the messages, or null. */
  public CatchUp catchUp() {
    return catchUp;
  }

  /**
   * The replica is in the chain and wants its read lease granted or renewed: the shell asks the
   * controller, noting its clock, and passes the answer to {@link ChainReplica#onLeaseGranted}.
   */
  public boolean leaseWanted() {
    return leaseWanted;
  }

  /** The committed ending to report to the controller, or null. */
  public Ended ended() {
    return ended;
  }

  /**
   * The range's ending committed here (at every replica, head or not): what this replica answered ({@link
   * ChainReplica#answered}), for the ranges that take over its keys on its node; null otherwise.
   */
  public List<Answered> handOver() {
    return handOver;
  }

  public boolean isEmpty() {
    return ended == null
        && persist.isEmpty()
        && messages.isEmpty()
        && replies.isEmpty()
        && reads.isEmpty()
        && catchUp == null
        && newerEpochSeen < 0;
  }

  @Override
  public String toString() {
    return "Output[persist=" + persist.stream().map(LogEntry::seq).toList() + ", messages=" + messages
        + ", replies=" + replies.size() + ", reads=" + reads.size() + "]";
  }
}
