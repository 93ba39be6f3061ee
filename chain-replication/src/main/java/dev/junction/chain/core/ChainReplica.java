package dev.junction.chain.core;

import dev.junction.store.Versioned;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One replica of one range, as a pure state machine: chain replication (van Renesse &amp; Schneider,
 * OSDI 2004) with epochs. It touches no disk, network, clock or thread: every method takes one input and
 * returns an {@link Output} that the shell (the replica actor) carries out in order.
 *
 * <p>The protocol:
 *
 * <ul>
 *   <li>Writes reach the <b>head</b>, which assigns the next sequence number, resolves the write into a
 *       {@link Mutation} (a compare-and-set is decided here, against the head's newest state, committed or
 *       not) and persists it.
 *   <li>A replica forwards an entry to its successor only once the entry is durable locally
 *       ({@link #onPersisted}); entries travel in sequence order, and each replica accepts them in order,
 *       buffering early ones and dropping duplicates.
 *   <li>The <b>tail</b> commits an entry when it is durable there: it answers the client (through the reply
 *       handle the entry carries) and sends an {@link PeerMessage.Ack} up the chain. Every replica keeps
 *       the entries it has but the tail has not acknowledged (the <i>sent list</i>), and trims it on acks.
 *   <li>Reads are served by the tail, from its store: exactly the committed state.
 *   <li>Every message carries the epoch. A client request of another epoch is rejected with the
 *       replica's epoch; a peer message of another epoch is dropped and answered with an
 *       {@link PeerMessage.EpochNotice}.
 *   <li>Reconfiguration ({@link #onConfig}): a replica that gains a predecessor says
 *       {@link PeerMessage.Hello} with the last sequence number it holds, and the predecessor resends from
 *       its sent list what follows; a replica that becomes tail commits everything it holds.
 * </ul>
 *
 * <p>The head reads the range's state through {@code localRead} (the replica's own store) for keys with no
 * write in flight; for the others it uses the newest entry in flight.
 *
 * @param <R> the shell's reply handle type (opaque here)
 */
public final class ChainReplica<R> {
  private final int slot;
  private final Function<byte[], Optional<Versioned>> localRead;
  private RangeConfig config;

  private long lastReceived;
  private long lastPersisted;
  private long lastForwarded;
  private long committed;

  /** Entries accepted and not yet known committed, by sequence number: persisted ones form the sent list. */
  private final TreeMap<Long, LogEntry<R>> log = new TreeMap<>();
  /** Entries that arrived ahead of a gap. */
  private final TreeMap<Long, LogEntry<R>> early = new TreeMap<>();
  /** For keys with a write not yet durable here: the newest such entry. */
  private final Map<ByteBuffer, LogEntry<R>> inFlight = new HashMap<>();
  /** At the head: clients that retried a request still in flight, by the sequence number it got. */
  private final Map<Long, List<R>> waiting = new HashMap<>();
  private final DedupTable dedup = new DedupTable(256, 100_000);

  /**
   * The tail's read lease: reads are served only while the shell's clock is before {@code leaseUntil}
   * (a time of the shell's monotonic clock, in nanoseconds), and only once a lease was granted.
   */
  private boolean leased;
  private long leaseUntil;

  /**
   * Whether this replica holds everything its predecessor had when it answered our last {@link
   * PeerMessage.Hello} ({@link PeerMessage.Welcome} up to {@code syncTarget}): only then may it serve
   * reads as tail. A head is always in sync.
   */
  private boolean welcomed;
  private boolean synced;
  private long syncTarget;

  /** Ticks seen, and the tick of the last sign of progress downstream (an ack, or a first send). */
  private long ticks;
  private long lastProgressTick;
  /** The tick of the last entry accepted from the predecessor, and of the last Hello said. */
  private long lastAcceptTick;
  private long lastHelloTick;

  private ChainReplica(
      int slot,
      RangeConfig config,
      long appliedSeq,
      Function<byte[], Optional<Versioned>> localRead) {
    this.slot = slot;
    this.config = config;
    this.localRead = localRead;
    this.lastReceived = appliedSeq;
    this.lastPersisted = appliedSeq;
    this.lastForwarded = appliedSeq;
    this.committed = appliedSeq;
  }

  /** A new replica with an empty range. Call {@link #start} and carry out its output. */
  public static <R> ChainReplica<R> create(
      int slot, RangeConfig config, Function<byte[], Optional<Versioned>> localRead) {
    return recover(slot, config, 0, List.of(), localRead);
  }

  /**
   * A replica restarted from its store: everything up to {@code appliedSeq} is durable, and
   * {@code storedLog} holds the entries the store kept in its replication log (possibly already
   * committed: resending a committed entry is harmless, its successor drops duplicates). Call
   * {@link #start} and carry out its output.
   */
  public static <R> ChainReplica<R> recover(
      int slot,
      RangeConfig config,
      long appliedSeq,
      List<LogEntry<R>> storedLog,
      Function<byte[], Optional<Versioned>> localRead) {
    if (config.indexOf(slot) < 0) {
      throw new IllegalArgumentException("slot " + slot + " is not in " + config);
    }
    ChainReplica<R> r = new ChainReplica<>(slot, config, appliedSeq, localRead);
    for (LogEntry<R> e : storedLog) {
      if (e.seq() <= appliedSeq) {
        r.log.put(e.seq(), e);
        r.dedup.record(e.origin(), e.seq(), e.result());
      }
    }
    if (!r.log.isEmpty()) {
      r.committed = Math.min(r.committed, r.log.firstKey() - 1);
    }
    return r;
  }

  /**
   * The first output: a replica with a predecessor says which entries it holds; a tail asks for its read
   * lease.
   */
  public Output<R> start() {
    Output<R> out = new Output<>();
    sayHello(out, true);
    if (isTail()) {
      commitUpTo(lastPersisted, out);
      out.leaseWanted = true;
    }
    return out;
  }

  // ------------------------------------------------------------------------------------- queries

  public int slot() {
    return slot;
  }

  public RangeConfig config() {
    return config;
  }

  public boolean isHead() {
    return config.head().slot() == slot;
  }

  public boolean isTail() {
    return config.tail().slot() == slot;
  }

  public long lastReceived() {
    return lastReceived;
  }

  public long lastPersisted() {
    return lastPersisted;
  }

  /** Everything up to here is known committed (answered by the tail). */
  public long committed() {
    return committed;
  }

  /** Sequence numbers this replica holds but the tail has not acknowledged. */
  public List<Long> sentList() {
    return List.copyOf(log.headMap(lastPersisted, true).keySet());
  }

  // ---------------------------------------------------------------------------------- client input

  /**
   * A client write, addressed to this range's head at {@code epoch}.
   *
   * @param id the client's request id (null: not deduplicated)
   */
  public Output<R> onClientWrite(long epoch, RequestId id, WriteOp op, R replyTo) {
    Output<R> out = new Output<>();
    if (!checkClientEpoch(epoch, replyTo, out)) {
      return out;
    }
    if (!isHead()) {
      out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.NOT_HEAD)));
      return out;
    }
    DedupTable.Hit hit = dedup.find(id);
    if (hit != null) {
      if (hit.seq() <= committed) {
        out.replies.add(new Output.Reply<>(replyTo, new ClientReply.Done(hit.result())));
      } else {
        waiting.computeIfAbsent(hit.seq(), s -> new ArrayList<>()).add(replyTo);
      }
      return out;
    }
    long seq = lastReceived + 1;
    accept(new LogEntry<>(seq, resolve(op, seq), id, replyTo), out);
    return out;
  }

  /**
   * A client read, addressed to this range's tail at {@code epoch}, at time {@code now} of the shell's
   * monotonic clock. The tail serves it only while it holds its read lease: without one it answers
   * {@link ClientReply.Reason#NO_LEASE}, because the controller may already have handed the tail role to
   * another replica that commits writes this one never sees.
   */
  public Output<R> onClientRead(long epoch, ReadOp op, R replyTo, long now) {
    Output<R> out = new Output<>();
    if (!checkClientEpoch(epoch, replyTo, out)) {
      return out;
    }
    if (!isTail()) {
      out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.NOT_TAIL)));
      return out;
    }
    if (!holdsLease(now)) {
      out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.NO_LEASE)));
      out.leaseWanted = true;
      return out;
    }
    if (!synced) {
      out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.CATCHING_UP)));
      return out;
    }
    out.reads.add(new Output.Read<>(replyTo, op));
    return out;
  }

  /**
   * Entries of a {@link Output.CatchUp} that the shell read from its stored log (in sequence order), as
   * forwards to the successor {@code toSlot}, cut like every forward.
   */
  public Output<R> onStoredLog(int toSlot, List<LogEntry<R>> entries) {
    Output<R> out = new Output<>();
    if (!entries.isEmpty()) {
      sendForwards(toSlot, entries, out);
    }
    return out;
  }

  /**
   * True when this replica answers reads now, if it is asked: it is in the chain, and as tail it is in
   * sync with its predecessor and holds its read lease.
   */
  public boolean readable(long now) {
    return isMember() && (!isTail() || synced && holdsLease(now));
  }

  /** True when this replica holds what its predecessor had when it (re)joined: see {@link PeerMessage.Welcome}. */
  public boolean synced() {
    return synced;
  }

  /** True when this replica is the tail and its read lease runs at {@code now}. */
  public boolean holdsLease(long now) {
    return isMember() && isTail() && leased && now - leaseUntil < 0;
  }

  /**
   * The controller granted a read lease of {@code durationNanos}, asked for at {@code requestedAt} (the
   * shell's clock when it sent the request). The lease runs from the request, not from the grant: the
   * controller counts it from its grant, which came later, so the tail's lease always ends first.
   * A grant that arrives when this replica is no longer the tail is ignored.
   */
  public void onLeaseGranted(long requestedAt, long durationNanos) {
    if (!isMember() || !isTail() || durationNanos <= 0) {
      return;
    }
    long until = requestedAt + durationNanos;
    if (!leased || until - leaseUntil > 0) {
      leaseUntil = until;
    }
    leased = true;
  }

  private boolean checkClientEpoch(long epoch, R replyTo, Output<R> out) {
    if (epoch == config.epoch()) {
      return true;
    }
    if (epoch > config.epoch()) {
      out.newerEpochSeen = epoch;
    }
    out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.WRONG_EPOCH)));
    return false;
  }

  private ClientReply rejected(ClientReply.Reason reason) {
    return new ClientReply.Rejected(reason, config.epoch());
  }

  private Mutation resolve(WriteOp op, long seq) {
    if (op instanceof WriteOp.Put put) {
      return new Mutation.Set(put.key(), put.value());
    }
    if (op instanceof WriteOp.Delete del) {
      return new Mutation.Remove(del.key());
    }
    WriteOp.Cas cas = (WriteOp.Cas) op;
    Versioned current = currentValue(cas.key());
    boolean holds =
        cas.expected() == null
            ? current == null
            : current != null && Arrays.equals(current.value(), cas.expected());
    return holds
        ? new Mutation.CasApplied(cas.key(), cas.newValue())
        : new Mutation.CasRejected(cas.key(), current);
  }

  /** The newest value of {@code key} at this replica, durable or not; null when absent. */
  private Versioned currentValue(byte[] key) {
    LogEntry<R> pending = inFlight.get(ByteBuffer.wrap(key));
    if (pending == null) {
      return localRead.apply(key).orElse(null);
    }
    Mutation m = pending.mutation();
    if (m instanceof Mutation.Set set) {
      return new Versioned(set.value(), pending.seq());
    }
    if (m instanceof Mutation.CasApplied applied) {
      return new Versioned(applied.value(), pending.seq());
    }
    if (m instanceof Mutation.CasRejected rejected) {
      return rejected.observed();
    }
    return null;
  }

  /** Takes the next entry in sequence order. */
  private void accept(LogEntry<R> e, Output<R> out) {
    lastReceived = e.seq();
    lastAcceptTick = ticks;
    log.put(e.seq(), e);
    inFlight.put(ByteBuffer.wrap(e.mutation().key()), e);
    dedup.record(e.origin(), e.seq(), e.result());
    out.persist.add(e);
  }

  // ------------------------------------------------------------------------------------ store input

  /** The shell's store committed every entry up to {@code seq}. */
  public Output<R> onPersisted(long seq) {
    Output<R> out = new Output<>();
    long upTo = Math.min(seq, lastReceived);
    if (upTo <= lastPersisted) {
      return out;
    }
    for (LogEntry<R> e : log.subMap(lastPersisted, false, upTo, true).values()) {
      inFlight.remove(ByteBuffer.wrap(e.mutation().key()), e);
    }
    lastPersisted = upTo;
    if (welcomed && !synced && lastPersisted >= syncTarget) {
      synced = true;
    }
    if (isTail()) {
      commitUpTo(upTo, out);
    } else {
      forward(out);
    }
    return out;
  }

  /** Sends the successor every durable entry it has not been sent yet. */
  private void forward(Output<R> out) {
    Optional<Replica> next = config.successor(slot);
    if (next.isEmpty() || lastForwarded >= lastPersisted) {
      return;
    }
    if (lastForwarded <= committed) {
      lastProgressTick = ticks; // nothing was waiting: the resend clock starts now
    }
    sendForwards(next.get().slot(), log.subMap(lastForwarded, false, lastPersisted, true).values(), out);
    lastForwarded = lastPersisted;
  }

  /** Most bytes of keys and values in one forward message (one entry may be larger on its own). */
  static final int MAX_FORWARD_BYTES = 1 << 20;

  /** Sends {@code entries} in order, cut into messages of at most {@link #MAX_FORWARD_BYTES}. */
  private void sendForwards(int to, Collection<LogEntry<R>> entries, Output<R> out) {
    List<LogEntry<R>> batch = new ArrayList<>();
    long bytes = 0;
    for (LogEntry<R> e : entries) {
      long size = sizeOf(e);
      if (!batch.isEmpty() && bytes + size > MAX_FORWARD_BYTES) {
        out.messages.add(new Output.Envelope<>(to, new PeerMessage.Forward<>(config.epoch(), slot, batch)));
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(e);
      bytes += size;
    }
    if (!batch.isEmpty()) {
      out.messages.add(new Output.Envelope<>(to, new PeerMessage.Forward<>(config.epoch(), slot, batch)));
    }
  }

  private static long sizeOf(LogEntry<?> e) {
    Mutation m = e.mutation();
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

  /** At the tail: entries up to {@code upTo} are committed; answer them and acknowledge upstream. */
  private void commitUpTo(long upTo, Output<R> out) {
    if (upTo <= committed) {
      return;
    }
    for (LogEntry<R> e : log.headMap(upTo, true).values()) {
      if (e.replyTo() != null) {
        out.replies.add(new Output.Reply<>(e.replyTo(), new ClientReply.Done(e.result())));
      }
      answerWaiting(e, out);
    }
    markCommitted(upTo);
    ackUpstream(upTo, out);
  }

  /** Tells the predecessor, if any, that everything up to {@code upTo} is committed. */
  private void ackUpstream(long upTo, Output<R> out) {
    config.predecessor(slot)
        .ifPresent(
            p ->
                out.messages.add(
                    new Output.Envelope<>(p.slot(), new PeerMessage.Ack<>(config.epoch(), slot, upTo))));
  }

  private void answerWaiting(LogEntry<R> e, Output<R> out) {
    List<R> retried = waiting.remove(e.seq());
    if (retried != null) {
      for (R r : retried) {
        out.replies.add(new Output.Reply<>(r, new ClientReply.Done(e.result())));
      }
    }
  }

  private void markCommitted(long upTo) {
    committed = upTo;
    log.headMap(upTo, true).clear();
  }

  // ------------------------------------------------------------------------------------- peer input

  /** A message from another replica of this range. */
  public Output<R> onPeer(PeerMessage<R> message) {
    Output<R> out = new Output<>();
    if (message.epoch() != config.epoch()) {
      if (message.epoch() > config.epoch()) {
        out.newerEpochSeen = message.epoch();
      } else if (!(message instanceof PeerMessage.EpochNotice)) {
        out.messages.add(
            new Output.Envelope<>(
                message.fromSlot(), new PeerMessage.EpochNotice<>(config.epoch(), slot)));
      }
      return out;
    }
    if (message instanceof PeerMessage.Forward<R> f) {
      onForward(f, out);
    } else if (message instanceof PeerMessage.Ack<R> a) {
      onAck(a, out);
    } else if (message instanceof PeerMessage.Hello<R> h) {
      onHello(h, out);
    } else if (message instanceof PeerMessage.Welcome<R> w) {
      onWelcome(w);
    }
    return out;
  }

  private void onForward(PeerMessage.Forward<R> f, Output<R> out) {
    Optional<Replica> prev = config.predecessor(slot);
    if (prev.isEmpty() || prev.get().slot() != f.fromSlot()) {
      return;
    }
    boolean onlyDuplicates = true;
    for (LogEntry<R> e : f.entries()) {
      if (e.seq() > lastReceived) {
        early.put(e.seq(), e);
        onlyDuplicates = false;
      }
    }
    if (onlyDuplicates && committed > 0) {
      ackUpstream(committed, out); // the predecessor resends what we have: our ack was lost, repeat it
    }
    LogEntry<R> next;
    while ((next = early.remove(lastReceived + 1)) != null) {
      accept(next, out);
    }
    early.headMap(lastReceived, true).clear();
  }

  private void onAck(PeerMessage.Ack<R> a, Output<R> out) {
    Optional<Replica> next = config.successor(slot);
    if (next.isEmpty() || next.get().slot() != a.fromSlot()) {
      return;
    }
    long upTo = Math.min(a.upToSeq(), lastPersisted);
    if (upTo <= committed) {
      return;
    }
    lastProgressTick = ticks;
    for (LogEntry<R> e : log.headMap(upTo, true).values()) {
      answerWaiting(e, out);
    }
    markCommitted(upTo);
    ackUpstream(upTo, out);
  }

  private void onHello(PeerMessage.Hello<R> h, Output<R> out) {
    Optional<Replica> next = config.successor(slot);
    if (next.isEmpty() || next.get().slot() != h.fromSlot()) {
      return;
    }
    // Resend what the successor lacks: committed entries (no longer in memory) from the stored log, the
    // rest from memory. Then tell it how far that goes.
    long have = Math.min(h.lastReceived(), lastPersisted);
    if (have < committed) {
      out.catchUp = new Output.CatchUp(h.fromSlot(), have + 1, committed);
      lastForwarded = committed;
    } else {
      lastForwarded = have;
    }
    lastProgressTick = ticks;
    out.messages.add(
        new Output.Envelope<>(h.fromSlot(), new PeerMessage.Welcome<>(config.epoch(), slot, lastPersisted)));
    forward(out);
  }

  private void onWelcome(PeerMessage.Welcome<R> w) {
    Optional<Replica> prev = config.predecessor(slot);
    if (prev.isEmpty() || prev.get().slot() != w.fromSlot() || welcomed) {
      return;
    }
    welcomed = true;
    syncTarget = w.upToSeq();
    if (lastPersisted >= syncTarget) {
      synced = true;
    }
  }

  /**
   * Says {@link PeerMessage.Hello} to the predecessor, if any. With {@code resync}, the replica is out of
   * sync until the predecessor's {@link PeerMessage.Welcome} says how far it must get.
   */
  private void sayHello(Output<R> out, boolean resync) {
    Optional<Replica> prev = config.predecessor(slot);
    if (prev.isEmpty()) {
      synced = true;
      welcomed = true;
      return;
    }
    if (resync) {
      synced = false;
      welcomed = false;
    }
    lastHelloTick = ticks;
    out.messages.add(
        new Output.Envelope<>(prev.get().slot(), new PeerMessage.Hello<>(config.epoch(), slot, lastReceived)));
  }

  // ------------------------------------------------------------------------------------------ time

  /** Ticks without progress after which unacknowledged entries are sent again. */
  static final int RESEND_AFTER_TICKS = 3;

  /**
   * A clock tick (the shell sends one at a fixed interval). Messages can be lost (a shard moving between
   * nodes drops what it buffered; a node restarts): when entries have been waiting for an
   * acknowledgement for {@link #RESEND_AFTER_TICKS} ticks, they are sent to the successor again.
   * Duplicates are harmless: the successor drops them and answers with its acknowledgement.
   */
  public Output<R> onTick() {
    Output<R> out = new Output<>();
    ticks++;
    out.leaseWanted = isMember() && isTail();
    if (isMember() && config.predecessor(slot).isPresent()) {
      boolean unanswered = !welcomed && ticks - lastHelloTick >= RESEND_AFTER_TICKS;
      boolean gap = !early.isEmpty() && ticks - lastAcceptTick >= RESEND_AFTER_TICKS
          && ticks - lastHelloTick >= RESEND_AFTER_TICKS;
      if (unanswered || gap) {
        sayHello(out, false); // the Hello, its answer or entries were lost: ask again from what we hold
      }
    }
    Optional<Replica> next = config.successor(slot);
    if (next.isEmpty() || !isMember() || lastForwarded <= committed) {
      lastProgressTick = ticks;
      return out;
    }
    if (ticks - lastProgressTick >= RESEND_AFTER_TICKS) {
      lastProgressTick = ticks;
      sendForwards(next.get().slot(), log.subMap(committed, false, lastForwarded, true).values(), out);
    }
    return out;
  }

  // ---------------------------------------------------------------------------------- configuration

  /**
   * A new configuration of this range (a higher epoch; lower or equal ones are ignored). A replica that
   * is no longer in the chain answers nothing more; the shell stops it.
   */
  public Output<R> onConfig(RangeConfig next) {
    Output<R> out = new Output<>();
    if (next.rangeId() != config.rangeId() || next.epoch() <= config.epoch()) {
      return out;
    }
    boolean wasTail = isMember() && isTail();
    int oldPredecessor = isMember() ? config.predecessor(slot).map(Replica::slot).orElse(-1) : -2;
    config = next;
    if (!isMember()) {
      return out;
    }
    if (isTail()) {
      if (!wasTail) {
        leased = false; // a lease is granted to the tail of a configuration: a new tail asks anew
      }
      commitUpTo(lastPersisted, out);
      out.leaseWanted = true;
    }
    // Whoever precedes this replica now learns what it holds and resends the rest. A new predecessor may
    // have committed entries this replica lacks: it is out of sync until told how far to get.
    int newPredecessor = config.predecessor(slot).map(Replica::slot).orElse(-1);
    sayHello(out, newPredecessor != oldPredecessor);
    if (isHead()) {
      early.clear();
    }
    return out;
  }

  /** False once a configuration without this replica arrived. */
  public boolean isMember() {
    return config.indexOf(slot) >= 0;
  }
}
