package dev.junction.chain.core;

import dev.junction.store.Versioned;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * One replica of one range, as a pure state machine: chain replication (van Renesse &amp; Schneider,
 * OSDI 2004) with epochs, pipelined writes and reads at every replica (CRAQ). It touches no disk, network,
 * clock or thread: every method takes one input and returns an {@link Output} that the shell (the replica
 * actor) carries out in order.
 *
 * <p>The protocol:
 *
 * <ul>
 *   <li>Writes reach the <b>head</b>, which assigns the next sequence number and resolves the write into a
 *       {@link Mutation} (a compare-and-set is decided here, against the head's newest state, committed or
 *       not; one that does not apply is answered without an entry once that state committed, see {@link
 *       #refuse}).
 *   <li><b>Pipelining.</b> A replica forwards an entry to its successor as soon as it holds it and
 *       persists it at the same time; entries travel in sequence order, and each replica accepts them in
 *       order, buffering early ones and dropping duplicates. Every replica tells the tail how far it holds
 *       the log durably ({@link PeerMessage.Durable}, cumulative, straight to the tail).
 *   <li><b>Commit.</b> An entry is <i>committed</i> once it is durable at every replica of the chain. The
 *       <b>tail</b> knows first: when the entry is durable there and every other replica said it is durable
 *       there. It acknowledges to every other replica ({@link PeerMessage.Ack}, cumulative); every replica
 *       keeps the entries the tail has not acknowledged (the <i>sent list</i>) and trims it on acks. The
 *       head answers the client when the acknowledgement reaches it: an answered write is durable
 *       everywhere. Data travels down the chain; these small control messages go straight between each
 *       replica and the tail, so a write costs three hops (two forwards, one acknowledgement), not five.
 *   <li><b>Reads</b> are answered by any replica that holds a read lease from the controller and is in sync
 *       with its predecessor, from its store for keys with no write in flight, and by the tail for the
 *       others; see {@link ReadView}, which this core keeps up to date.
 *   <li>Every message carries the epoch. A peer message of another epoch is dropped and answered with an
 *       {@link PeerMessage.EpochNotice}. A client write or read that knows a newer epoch than the
 *       replica's is refused with the replica's epoch.
 *   <li><b>Splits and merges</b> ({@link #onEnd}): the head sequences a {@link Mutation.Ending} (a split,
 *       or either half of a merge) as the range's last entry and refuses every write after it ({@code
 *       SEALED}); once it committed, every replica holds the range's final state and the head reports it
 *       ({@link Output#ended}), repeating the report every {@code resend-after-ticks} ticks, so that the
 *       controller goes on even if an earlier report or controller was lost. The shell stores the new
 *       ranges' starting points with the entry, so nothing is copied: they start from this node's data.
 *   <li><b>Reconfiguration</b> ({@link #onConfig}): a replica that gains a predecessor says {@link
 *       PeerMessage.Hello} with the last sequence number it holds, and the predecessor resends what follows
 *       (committed entries from the stored log, the rest from memory); a replica that becomes tail commits
 *       what is durable everywhere. A replica that becomes head, or starts as head, first asks every
 *       other replica what it holds ({@link PeerMessage.Probe}): with pipelining a successor may durably
 *       hold entries the head lost in a crash, and the head takes them back ({@link PeerMessage.Fetch})
 *       before it assigns a sequence number again. Writes that arrive meanwhile wait.
 *   <li><b>Followers.</b> A new replica that copied its range, and is in no chain yet, may ask the tail
 *       to follow it ({@link PeerMessage.Follow}): the tail sends it the committed entries after what it
 *       holds (from the stored log), then every entry it commits, as forwards, until the configuration
 *       changes. Nothing waits for a follower; it only joins later with little to catch up, its node's
 *       write path already run.
 * </ul>
 *
 * <p><b>Batching.</b> Inputs change state; {@link #flush} turns what they made ready into one persist
 * batch, one forward (cut at {@code max-forward-bytes}), one acknowledgement. The shell calls it once it
 * has handled the inputs that were waiting, so a forward carries every entry ready at that moment.
 *
 * @param <R> the shell's reply handle type (opaque here)
 */
public final class ChainReplica<R> {
  /** A client write that waits while a new head takes back its successors' entries. */
  private record Queued<R>(long epoch, RequestId id, WriteOp op, R replyTo) {}

  private final int slot;
  private final ChainSettings settings;
  private final Function<byte[], Optional<Versioned>> localRead;
  private final ReadView view;
  private RangeConfig config;

  /** Highest sequence number accepted in order here. */
  private long lastReceived;
  /** Highest sequence number durable here. */
  private long lastPersisted;
  /** Highest sequence number handed to the shell to persist. */
  private long lastSubmitted;
  /** Highest sequence number sent to the successor. */
  private long lastForwarded;
  /** Highest sequence number durable at every replica of the chain. */
  private long committed;
  /** At the tail: how far each other replica said it holds the log durably. */
  private final Map<Integer, Long> durableAt = new HashMap<>();
  /** The durable point last told the tail (not the tail itself). */
  private long toldDurable;
  /**
   * Not the tail: the highest commit point the current tail acknowledged to this replica (-1: none since
   * it became tail), and the tick of the last time this replica repeated its durable point for it.
   */
  private long ackedByTail = -1;
  private long lastDurableTick;
  /** At the tail: the commit point last acknowledged to each other replica, and who asked again. */
  private final Map<Integer, Long> ackedTo = new HashMap<>();
  private final Set<Integer> ackAgain = new HashSet<>();
  /**
   * At the tail: new replicas not in the chain that follow its committed entries ({@link
   * PeerMessage.Follow}), by slot: the last sequence number sent to each. Forgotten at every configuration
   * change (a follower asks again, of the tail it knows then).
   */
  private final Map<Integer, Follower> followers = new HashMap<>();

  /** A follower: where it runs and the last sequence number sent to it. */
  private static final class Follower {
    final String node;
    long sent;

    Follower(String node, long sent) {
      this.node = node;
      this.sent = sent;
    }
  }

  /** Entries accepted and not yet known committed, by sequence number: the sent list and what follows. */
  private final TreeMap<Long, LogEntry> log = new TreeMap<>();
  /** Entries that arrived ahead of a gap. */
  private final TreeMap<Long, LogEntry> early = new TreeMap<>();
  /** Peer messages of an epoch newer than {@link #config}'s, handled once it is adopted. */
  private final EarlyMessages earlyMessages = new EarlyMessages(EarlyMessages.DEFAULT_LIMIT);
  /** For keys with a write not yet durable here: the newest such entry (the head's newest state). */
  private final Map<ByteBuffer, LogEntry> notDurable = new HashMap<>();
  /** At the head: who waits for the answer of the entry with this sequence number. */
  private final Map<Long, R> replies = new HashMap<>();
  /** At the head: clients that retried a request still in flight, by the sequence number it got. */
  private final Map<Long, List<R>> waiting = new HashMap<>();
  /** Latest-reads at the head, by the sequence number whose commit they wait for (see {@link #onClientRead}). */
  private final TreeMap<Long, List<Output.Read<R>>> latestReads = new TreeMap<>();
  /**
   * Compare-and-sets that did not apply, unlogged, at the head: their answers, by the sequence number of
   * the write whose value they saw (see {@link #write}).
   */
  private final TreeMap<Long, List<Output.Reply<R>>> refusals = new TreeMap<>();
  private final DedupTable dedup;

  /** The entry that ends this range, once accepted here (null: none), and its sequence number. */
  private Mutation.Ending ending;
  private long sealedAt;
  /** The tick of the last report of a committed ending. */
  private long endReportTick;

  /**
   * The read lease: reads are served only while the shell's clock is before {@code leaseUntil} (a time
   * of the shell's monotonic clock, in nanoseconds), and only once a lease was granted.
   */
  private boolean leased;
  private long leaseUntil;

  /**
   * Whether this replica holds everything its predecessor had when it answered our last {@link
   * PeerMessage.Hello} ({@link PeerMessage.Welcome} up to {@code syncTarget}): only then may it serve
   * reads. A head is always in sync.
   */
  private boolean welcomed;
  private boolean synced;
  private long syncTarget;

  /**
   * At a new head: the other replicas' answers to its {@link PeerMessage.Probe} (slot to what it holds),
   * and the writes that wait until it took back what they hold. Null when the head may sequence.
   */
  private Map<Integer, Long> probe;
  private long fetchingUpTo;
  private final List<Queued<R>> queued = new ArrayList<>();
  private long probeTick;

  /** Ticks seen, and the tick of the last sign of progress downstream (an ack, or a first send). */
  private long ticks;
  private long lastProgressTick;
  /** The tick of the last entry accepted from the predecessor, and of the last Hello said. */
  private long lastAcceptTick;
  private long lastHelloTick;

  private ChainReplica(
      int slot,
      RangeConfig config,
      ChainSettings settings,
      long appliedSeq,
      long committedSeq,
      Function<byte[], Optional<Versioned>> localRead) {
    this.slot = slot;
    this.config = config;
    this.settings = settings;
    this.localRead = localRead;
    this.dedup = new DedupTable(settings.dedupPerClient(), settings.dedupClients());
    this.view = new ReadView(config.epoch());
    this.lastReceived = appliedSeq;
    this.lastPersisted = appliedSeq;
    this.lastSubmitted = appliedSeq;
    this.lastForwarded = appliedSeq;
    this.committed = committedSeq;
    this.toldDurable = committedSeq;
  }

  /** A new replica with an empty range. Call {@link #start} and carry out its output. */
  public static <R> ChainReplica<R> create(
      int slot, RangeConfig config, ChainSettings settings, Function<byte[], Optional<Versioned>> localRead) {
    return recover(slot, config, settings, 0, 0, List.of(), List.of(), localRead);
  }

  /**
   * A replica restarted from its store: everything up to {@code appliedSeq} is durable here, everything
   * up to {@code committedSeq} was known committed when it was stored, and {@code storedLog} holds the
   * entries the store kept in its replication log. Entries after {@code committedSeq} may not be committed:
   * they are the sent list again, and their keys are dirty until they commit. Call {@link #start} and carry
   * out its output.
   *
   * <p>A range that took over the keys of earlier ranges (a split or merge) passes in {@code inherited}
   * the requests they answered up to their endings (empty for most ranges): from their stored logs ({@link
   * Answered#of}), or from their replicas on the same node ({@link #answered}). This replica remembers
   * them (before its own), so that a client retrying a write an earlier range applied gets that answer
   * instead of applying it again.
   */
  public static <R> ChainReplica<R> recover(
      int slot,
      RangeConfig config,
      ChainSettings settings,
      long appliedSeq,
      long committedSeq,
      List<LogEntry> storedLog,
      List<Answered> inherited,
      Function<byte[], Optional<Versioned>> localRead) {
    if (config.indexOf(slot) < 0) {
      throw new IllegalArgumentException("slot " + slot + " is not in " + config);
    }
    if (committedSeq > appliedSeq || committedSeq < 0) {
      throw new IllegalArgumentException(
          "committed " + committedSeq + " is not between 0 and the applied sequence " + appliedSeq);
    }
    ChainReplica<R> r = new ChainReplica<>(slot, config, settings, appliedSeq, committedSeq, localRead);
    for (Answered a : inherited) {
      if (a.seq() <= appliedSeq) {
        r.dedup.record(a.id(), a.seq(), a.result());
      }
    }
    for (LogEntry e : storedLog) {
      if (e.seq() <= appliedSeq) {
        if (e.mutation() instanceof Mutation.Ending end) {
          r.ending = end;
          r.sealedAt = e.seq();
        }
        r.dedup.record(e.origin(), e.seq(), e.result());
        if (e.seq() > committedSeq) {
          r.log.put(e.seq(), e);
          r.view.recoveredInFlight(e);
        }
      }
    }
    return r;
  }

  /**
   * The first output: a replica with a predecessor says which entries it holds; a head with successors
   * asks what they hold; every replica asks for its read lease.
   */
  public Output<R> start() {
    Output<R> out = new Output<>();
    sayHello(out, true);
    if (isHead()) {
      startProbe(out);
    }
    if (isTail()) {
      commitUpTo(durableEverywhere(), out);
    }
    out.leaseWanted = true;
    publish();
    return out;
  }

  // ------------------------------------------------------------------------------------- queries

  public int slot() {
    return slot;
  }

  public RangeConfig config() {
    return config;
  }

  /** What reads on other threads consult; kept up to date by this core. */
  public ReadView view() {
    return view;
  }

  public boolean isHead() {
    return isMember() && config.head().slot() == slot;
  }

  public boolean isTail() {
    return isMember() && config.tail().slot() == slot;
  }

  public long lastReceived() {
    return lastReceived;
  }

  public long lastPersisted() {
    return lastPersisted;
  }

  /** Everything up to here is known committed: durable at every replica. */
  public long committed() {
    return committed;
  }

  /** Sequence numbers this replica holds but the tail has not acknowledged. */
  public List<Long> sentList() {
    return List.copyOf(log.keySet());
  }

  /** The entry that ends this range (a split or half of a merge), once this replica accepted it. */
  public Optional<Mutation.Ending> ending() {
    return Optional.ofNullable(ending);
  }

  /** Whether the entry that ends this range is committed: every replica holds the range's final state. */
  public boolean endCommitted() {
    return ending != null && committed >= sealedAt;
  }

  /**
   * The requests this replica remembers answering (its deduplication table), for the ranges that take
   * over this one's keys once its {@linkplain #endCommitted ending committed}: from then on the table no
   * longer changes, and it holds every committed request it kept, which the stored log may hold only
   * partly (its retained records).
   */
  public List<Answered> answered() {
    return dedup.snapshot();
  }

  /** The sequence number of the entry that ends this range (0: none accepted here). */
  public long sealedAt() {
    return sealedAt;
  }

  /** True while a new head takes back what its successors hold and holds client writes. */
  public boolean probing() {
    return probe != null;
  }

  /**
   * At the tail: the highest sequence number durable at every replica of the chain, as far as the tail
   * knows (a replica that said nothing yet holds at least what is committed).
   */
  private long durableEverywhere() {
    long min = lastPersisted;
    for (Replica r : config.chain()) {
      if (r.slot() != slot) {
        min = Math.min(min, durableAt.getOrDefault(r.slot(), committed));
      }
    }
    return min;
  }

  // ---------------------------------------------------------------------------------- client input

  /**
   * A client write, addressed to this range's head by a router whose table has {@code epoch} for the
   * range, at {@code now} of the shell's clock (a compare-and-set that does not apply is answered without
   * a log entry while the head holds its read lease).
   *
   * @param id the client's request id (null: not deduplicated)
   */
  public Output<R> onClientWrite(long epoch, RequestId id, WriteOp op, R replyTo, long now) {
    Output<R> out = new Output<>();
    write(epoch, id, op, replyTo, holdsLease(now), out);
    return out;
  }

  /**
   * @param leased whether the head holds its read lease now: then a compare-and-set that does not apply
   *     is answered like a read, without an entry; else it is sequenced as a {@link Mutation.CasRejected}
   *     and answered when that commits
   */
  private void write(long epoch, RequestId id, WriteOp op, R replyTo, boolean leased, Output<R> out) {
    if (!isMember()) {
      out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.NOT_IN_CHAIN)));
      return;
    }
    if (epoch > config.epoch()) {
      out.newerEpochSeen = epoch;
      out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.WRONG_EPOCH)));
      return;
    }
    if (!isHead()) {
      out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.NOT_HEAD)));
      return;
    }
    if (probe != null) {
      if (queued.size() >= settings.maxQueuedWrites()) {
        out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.CATCHING_UP)));
      } else {
        queued.add(new Queued<>(epoch, id, op, replyTo));
      }
      return;
    }
    DedupTable.Hit hit = dedup.find(id);
    if (hit != null) {
      if (hit.seq() <= committed) {
        out.replies.add(new Output.Reply<>(replyTo, new ClientReply.Done(hit.result())));
      } else {
        waiting.computeIfAbsent(hit.seq(), s -> new ArrayList<>()).add(replyTo);
      }
      return;
    }
    if (ending != null) {
      // The range has ended: the write belongs to a range that takes over its keys.
      out.replies.add(new Output.Reply<>(replyTo, rejected(ClientReply.Reason.SEALED)));
      return;
    }
    Mutation mutation = resolve(op);
    if (leased && mutation instanceof Mutation.CasRejected rejected) {
      refuse(op.key(), rejected.observed(), replyTo, out);
      return;
    }
    long seq = lastReceived + 1;
    accept(new LogEntry(seq, mutation, id), out);
    if (replyTo != null) {
      replies.put(seq, replyTo);
    }
    if (config.chain().size() == 1) {
      lastProgressTick = ticks;
    }
  }

  /**
   * The controller asks the head to end the range with {@code end}, at the configuration {@code epoch} it
   * knows: a {@link Mutation.Split} at a key strictly inside the range, a {@link Mutation.Seal} (the left
   * half of a merge) or a {@link Mutation.MergeInto} (the right half). Done only by the head of that
   * epoch, while it sequences (not while it takes back its successors' entries: the controller asks
   * again); otherwise, or when the range already ended another way, nothing happens. Asking again for
   * the ending already under way reports it again once it committed.
   */
  public Output<R> onEnd(long epoch, Mutation.Ending end) {
    Output<R> out = new Output<>();
    if (!isHead() || epoch != config.epoch() || probe != null) {
      return out;
    }
    if (ending != null) {
      if (ending.sameAs(end) && endCommitted()) {
        reportEnded(out);
      }
      return out;
    }
    if (end instanceof Mutation.Split sp && !strictlyInside(sp.key())) {
      return out;
    }
    accept(new LogEntry(lastReceived + 1, end, null), out);
    if (config.chain().size() == 1) {
      lastProgressTick = ticks;
    }
    return out;
  }

  private boolean strictlyInside(byte[] key) {
    return key != null && config.contains(key) && dev.junction.store.Keys.compare(key, config.start()) > 0;
  }

  private void reportEnded(Output<R> out) {
    out.ended = new Output.Ended(sealedAt, ending);
    endReportTick = ticks;
  }

  /**
   * A client read served through the replica's mailbox (scans, and gets that reach it there), checked at
   * {@code now} of the shell's clock: it must be in the chain, hold its read lease and be in sync with its
   * predecessor, and a scan is for the tail only. Then it becomes an {@link Output.Read}, which the shell
   * serves with the {@link ReadView} (a get of a key with a write in flight may still be sent on to the
   * tail).
   */
  public Output<R> onClientRead(long epoch, ReadOp op, R replyTo, long now) {
    Output<R> out = new Output<>();
    ClientReply.Reason refused = null;
    if (!isMember()) {
      refused = ClientReply.Reason.NOT_IN_CHAIN;
    } else if (epoch > config.epoch()) {
      out.newerEpochSeen = epoch;
      refused = ClientReply.Reason.WRONG_EPOCH;
    } else if (op instanceof ReadOp.Scan && !isTail()) {
      refused = ClientReply.Reason.NOT_TAIL;
    } else if (!holdsLease(now)) {
      out.leaseWanted = true;
      refused = ClientReply.Reason.NO_LEASE;
    } else if (!synced) {
      refused = ClientReply.Reason.CATCHING_UP;
    }
    if (refused != null) {
      out.replies.add(new Output.Reply<>(replyTo, rejected(refused)));
      return out;
    }
    long inFlight = op instanceof ReadOp.Get get && get.latest() && isHead() ? view.newestInFlight(get.key()) : 0;
    if (inFlight > committed) {
      // A latest-read of a key with writes in flight at the head: answered once the newest of them
      // committed, so that it sees every write the head had accepted (and a compare-and-set on the seq it
      // answers does not lose to them).
      latestReads.computeIfAbsent(inFlight, s -> new ArrayList<>()).add(new Output.Read<>(replyTo, op));
    } else {
      out.reads.add(new Output.Read<>(replyTo, op));
    }
    return out;
  }

  /**
   * A compare-and-set that does not apply changes nothing, so it needs no entry and no round down the
   * chain: its answer is the value it saw, the head's newest. That answer holds once the value committed
   * (until then the write that made it may still be lost with this head), so it waits for the commit of the
   * key's newest write in flight, like a latest-read, and the shell delivers it only while this replica
   * still holds its read lease ({@link ClientReply.Observed}): a head that lost it may have been replaced,
   * and the key changed elsewhere. Not recorded for deduplication: a retry of it is decided afresh, which
   * is what a client that saw no answer may expect.
   */
  private void refuse(byte[] key, Versioned observed, R replyTo, Output<R> out) {
    if (replyTo == null) {
      return; // nobody waits for an answer that changes nothing
    }
    Output.Reply<R> answer =
        new Output.Reply<>(replyTo, new ClientReply.Observed(new WriteResult.CasDone(false, observed)));
    long inFlight = view.newestInFlight(key);
    if (inFlight > committed) {
      refusals.computeIfAbsent(inFlight, s -> new ArrayList<>()).add(answer);
    } else {
      out.replies.add(answer);
    }
  }

  /** Hands the shell the latest-reads waiting for sequence numbers up to {@code upTo} (all: MAX_VALUE). */
  private void releaseLatestReads(long upTo, Output<R> out) {
    while (!latestReads.isEmpty() && latestReads.firstKey() <= upTo) {
      out.reads.addAll(latestReads.pollFirstEntry().getValue());
    }
  }

  /**
   * Entries of a {@link Output.CatchUp} that the shell read from its stored log (in sequence order), as
   * forwards to the successor {@code toSlot}, cut like every forward.
   */
  public Output<R> onStoredLog(int toSlot, List<LogEntry> entries) {
    Output<R> out = new Output<>();
    if (!entries.isEmpty()) {
      sendForwards(toSlot, entries, out);
    }
    return out;
  }

  /**
   * True when this replica answers reads now, if it is asked: it is in the chain, in sync with its
   * predecessor, and holds its read lease.
   */
  public boolean readable(long now) {
    return isMember() && synced && holdsLease(now);
  }

  /** True when this replica holds what its predecessor had when it (re)joined: see {@link PeerMessage.Welcome}. */
  public boolean synced() {
    return synced;
  }

  /** True when this replica is in the chain and its read lease runs at {@code now}. */
  public boolean holdsLease(long now) {
    return isMember() && leased && now - leaseUntil < 0;
  }

  /** How long this replica's read lease still runs at {@code now}, in nanoseconds: 0 when it holds none. */
  public long leaseLeftNanos(long now) {
    return holdsLease(now) ? leaseUntil - now : 0;
  }

  /**
   * The controller granted a read lease of {@code durationNanos}, asked for at {@code requestedAt} (the
   * shell's clock when it sent the request). The lease runs from the request, not from the grant: the
   * controller counts it from its grant, which came later, so the replica's lease always ends first.
   * A grant that arrives when this replica is no longer in the chain is ignored.
   */
  public void onLeaseGranted(long requestedAt, long durationNanos) {
    if (!isMember() || durationNanos <= 0) {
      return;
    }
    long until = requestedAt + durationNanos;
    if (!leased || until - leaseUntil > 0) {
      leaseUntil = until;
    }
    leased = true;
    publish();
  }

  private ClientReply rejected(ClientReply.Reason reason) {
    return new ClientReply.Rejected(reason, config.epoch());
  }

  private Mutation resolve(WriteOp op) {
    if (op instanceof WriteOp.Put put) {
      return new Mutation.Set(put.key(), put.value());
    }
    if (op instanceof WriteOp.Delete del) {
      return new Mutation.Remove(del.key());
    }
    if (op instanceof WriteOp.CasSeq cas) {
      Versioned current = currentValue(cas.key());
      return current != null && current.seq() == cas.expectedSeq()
          ? new Mutation.CasApplied(cas.key(), cas.newValue())
          : new Mutation.CasRejected(cas.key(), current);
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
    LogEntry pending = notDurable.get(ByteBuffer.wrap(key));
    if (pending == null) {
      return localRead.apply(key).orElse(null);
    }
    Mutation m = pending.mutation();
    if (m instanceof Mutation.CasRejected rejected) {
      return rejected.observed();
    }
    return pending.valueAfter();
  }

  /** Takes the next entry in sequence order: it is persisted and forwarded at the next flush. */
  private void accept(LogEntry e, Output<R> out) {
    lastReceived = e.seq();
    lastAcceptTick = ticks;
    view.inFlight(e, localRead); // before the entry can reach the store
    log.put(e.seq(), e);
    if (e.mutation() instanceof Mutation.Ending end) {
      ending = end;
      sealedAt = e.seq();
    } else {
      notDurable.put(ByteBuffer.wrap(e.mutation().key()), e);
    }
    dedup.record(e.origin(), e.seq(), e.result());
  }

  // ------------------------------------------------------------------------------------ store input

  /** The shell's store committed every entry it was asked to persist up to {@code seq}. */
  public Output<R> onPersisted(long seq) {
    Output<R> out = new Output<>();
    long upTo = Math.min(seq, lastSubmitted);
    if (upTo <= lastPersisted) {
      return out;
    }
    for (LogEntry e : log.subMap(lastPersisted, false, upTo, true).values()) {
      notDurable.remove(ByteBuffer.wrap(e.mutation().key()), e);
    }
    lastPersisted = upTo;
    if (welcomed && !synced && lastPersisted >= syncTarget) {
      synced = true;
    }
    if (isTail()) {
      commitUpTo(durableEverywhere(), out);
    }
    publish();
    return out;
  }

  // ---------------------------------------------------------------------------------------- flush

  /**
   * Everything the inputs since the last flush made ready: the new entries as one persist batch, the
   * entries the successor has not been sent (with the durable point) as forwards, a durable notice when
   * only that changed, and the acknowledgement of what committed since. Call it after a run of inputs.
   */
  public Output<R> flush() {
    Output<R> out = new Output<>();
    if (lastReceived > lastSubmitted) {
      out.persist.addAll(log.subMap(lastSubmitted, false, lastReceived, true).values());
      lastSubmitted = lastReceived;
    }
    out.persistCommitted = committed;
    if (!isMember()) {
      return out;
    }
    Optional<Replica> next = config.successor(slot);
    if (next.isPresent() && lastForwarded < lastReceived) {
      if (lastForwarded <= committed) {
        lastProgressTick = ticks; // nothing was waiting: the resend clock starts now
      }
      sendForwards(next.get().slot(), log.subMap(lastForwarded, false, lastReceived, true).values(), out);
      lastForwarded = lastReceived;
    }
    if (!isTail() && lastPersisted > toldDurable) {
      out.messages.add(new Output.Envelope<>(config.tail().slot(),
          new PeerMessage.Durable(config.epoch(), slot, lastPersisted)));
      toldDurable = lastPersisted;
    }
    if (isTail()) {
      for (Replica r : config.chain()) {
        int s = r.slot();
        if (s != slot && (committed > ackedTo.getOrDefault(s, 0L) || ackAgain.contains(s))) {
          out.messages.add(new Output.Envelope<>(s, new PeerMessage.Ack(config.epoch(), slot, committed)));
          ackedTo.put(s, committed);
        }
      }
      ackAgain.clear();
    }
    return out;
  }

  /** Sends {@code entries} in order, cut into messages of at most {@code max-forward-bytes}. */
  private void sendForwards(int to, Collection<LogEntry> entries, Output<R> out) {
    List<LogEntry> batch = new ArrayList<>();
    long bytes = 0;
    for (LogEntry e : entries) {
      long size = e.size();
      if (!batch.isEmpty() && bytes + size > settings.maxForwardBytes()) {
        out.messages.add(new Output.Envelope<>(to, new PeerMessage.Forward(config.epoch(), slot, batch)));
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(e);
      bytes += size;
    }
    if (!batch.isEmpty()) {
      out.messages.add(new Output.Envelope<>(to, new PeerMessage.Forward(config.epoch(), slot, batch)));
    }
  }

  /** Entries up to {@code upTo} are committed: answer their clients, clean their keys, trim the log. */
  private void commitUpTo(long upTo, Output<R> out) {
    if (upTo <= committed) {
      return;
    }
    for (LogEntry e : log.headMap(upTo, true).values()) {
      view.committed(e);
      R r = replies.remove(e.seq());
      if (r != null) {
        out.replies.add(new Output.Reply<>(r, new ClientReply.Done(e.result())));
      }
      List<R> retried = waiting.remove(e.seq());
      if (retried != null) {
        for (R w : retried) {
          out.replies.add(new Output.Reply<>(w, new ClientReply.Done(e.result())));
        }
      }
    }
    if (!followers.isEmpty() && isTail()) {
      for (Map.Entry<Integer, Follower> f : followers.entrySet()) {
        Follower follower = f.getValue();
        if (follower.sent < upTo) {
          sendForwards(f.getKey(), log.subMap(follower.sent, false, upTo, true).values(), out);
          follower.sent = upTo;
        }
      }
    }
    log.headMap(upTo, true).clear();
    boolean endCommits = ending != null && committed < sealedAt && upTo >= sealedAt;
    committed = upTo;
    lastProgressTick = ticks;
    if (endCommits) {
      out.handOver = answered();
      if (isHead()) {
        reportEnded(out);
      }
    }
    releaseLatestReads(upTo, out);
    while (!refusals.isEmpty() && refusals.firstKey() <= upTo) {
      out.replies.addAll(refusals.pollFirstEntry().getValue());
    }
  }

  // ------------------------------------------------------------------------------------- peer input

  /**
   * A message from another replica of this range. One of a newer epoch is kept (see {@link
   * EarlyMessages}) and handled when this replica adopts that epoch's configuration.
   */
  public Output<R> onPeer(PeerMessage message) {
    Output<R> out = new Output<>();
    peer(message, out);
    return out;
  }

  private void peer(PeerMessage message, Output<R> out) {
    if (message.epoch() != config.epoch()) {
      if (message.epoch() > config.epoch()) {
        out.newerEpochSeen = Math.max(out.newerEpochSeen, message.epoch());
        earlyMessages.keep(message);
      } else if (!(message instanceof PeerMessage.EpochNotice)) {
        out.messages.add(
            new Output.Envelope<>(message.fromSlot(), new PeerMessage.EpochNotice(config.epoch(), slot)));
      }
      return;
    }
    if (!isMember()) {
      return;
    }
    if (message instanceof PeerMessage.Forward f) {
      onForward(f, out);
    } else if (message instanceof PeerMessage.Durable d) {
      onDurable(d, out);
    } else if (message instanceof PeerMessage.Ack a) {
      onAck(a, out);
    } else if (message instanceof PeerMessage.Hello h) {
      onHello(h, out);
    } else if (message instanceof PeerMessage.Welcome w) {
      onWelcome(w, out);
    } else if (message instanceof PeerMessage.Probe p) {
      onProbe(p, out);
    } else if (message instanceof PeerMessage.Holding h) {
      onHolding(h.fromSlot(), h.lastReceived(), out);
    } else if (message instanceof PeerMessage.Fetch f) {
      onFetch(f, out);
    } else if (message instanceof PeerMessage.Backfill b) {
      onBackfill(b, out);
    } else if (message instanceof PeerMessage.Follow f) {
      onFollow(f, out);
    }
    publish();
  }

  private boolean fromPredecessor(PeerMessage m) {
    Optional<Replica> prev = config.predecessor(slot);
    return prev.isPresent() && prev.get().slot() == m.fromSlot();
  }

  private boolean fromSuccessor(PeerMessage m) {
    Optional<Replica> next = config.successor(slot);
    return next.isPresent() && next.get().slot() == m.fromSlot();
  }

  private void onForward(PeerMessage.Forward f, Output<R> out) {
    if (!fromPredecessor(f)) {
      return;
    }
    boolean onlyDuplicates = !f.entries().isEmpty();
    for (LogEntry e : f.entries()) {
      if (e.seq() > lastReceived) {
        early.put(e.seq(), e);
        onlyDuplicates = false;
      }
    }
    if (onlyDuplicates && !isTail()) {
      toldDurable = -1; // the predecessor resends what we have: the tail may have lost our word, repeat it
    }
    acceptEarly(out);
  }

  /** At the tail: a replica says how far it holds the log durably. */
  private void onDurable(PeerMessage.Durable d, Output<R> out) {
    if (!isTail() || config.indexOf(d.fromSlot()) < 0 || d.fromSlot() == slot) {
      return;
    }
    durableAt.merge(d.fromSlot(), d.upToSeq(), Math::max);
    long before = committed;
    commitUpTo(durableEverywhere(), out);
    if (committed == before) {
      ackAgain.add(d.fromSlot()); // it may have missed our acknowledgement: repeat it
    }
  }

  private void acceptEarly(Output<R> out) {
    LogEntry next;
    while ((next = early.remove(lastReceived + 1)) != null) {
      accept(next, out);
    }
    early.headMap(lastReceived, true).clear();
  }

  private void onAck(PeerMessage.Ack a, Output<R> out) {
    if (isTail() || config.tail().slot() != a.fromSlot()) {
      return;
    }
    ackedByTail = Math.max(ackedByTail, a.upToSeq());
    commitUpTo(Math.min(a.upToSeq(), lastPersisted), out);
  }

  private void onHello(PeerMessage.Hello h, Output<R> out) {
    if (!fromSuccessor(h)) {
      return;
    }
    // Resend what the successor lacks: committed entries (no longer in memory) from the stored log, the
    // rest from memory at the next flush. Then tell it how far that goes.
    long have = Math.min(h.lastReceived(), lastReceived);
    if (have < committed) {
      out.catchUp = new Output.CatchUp(h.fromSlot(), have + 1, committed);
      lastForwarded = committed;
    } else {
      lastForwarded = have;
    }
    lastProgressTick = ticks;
    out.messages.add(new Output.Envelope<>(h.fromSlot(),
        new PeerMessage.Welcome(config.epoch(), slot, lastPersisted)));
    if (!isTail()) {
      toldDurable = -1; // the successor (re)started: the tail may have forgotten what we hold
    }
    if (probe != null) {
      onHolding(h.fromSlot(), h.lastReceived(), out); // the successor just said what it holds
    }
  }

  /**
   * A new replica outside the chain asks the tail for its committed entries after {@code lastHeld}: those
   * no longer in memory come from the stored log now (or an empty forward, when it lacks none), the rest
   * as they commit (see {@link #commitUpTo}).
   * A replica of the chain, or a follower beyond {@link #MAX_FOLLOWERS}, is not served.
   */
  private void onFollow(PeerMessage.Follow f, Output<R> out) {
    if (!isTail() || config.indexOf(f.fromSlot()) >= 0
        || !followers.containsKey(f.fromSlot()) && followers.size() >= MAX_FOLLOWERS) {
      return;
    }
    long have = f.lastHeld();
    if (have < committed) {
      out.catchUp = new Output.CatchUp(f.fromSlot(), have + 1, committed);
    } else {
      // Nothing to catch up: an empty forward tells the follower it holds everything committed.
      out.messages.add(new Output.Envelope<>(f.fromSlot(), new PeerMessage.Forward(config.epoch(), slot, List.of())));
    }
    followers.put(f.fromSlot(), new Follower(f.node(), Math.max(have, committed)));
  }

  /**
   * What a follower holding everything up to {@code held} does with a forward of its tail's: {@code store}
   * the entries that continue its sequence (duplicates skipped), up to a gap (a lost batch: ask again from
   * the new {@code held}) or the range's ending (not applied: the range moves on without the copy).
   */
  public record Followed(List<LogEntry> store, long held, boolean gap) {}

  /** See {@link Followed}. Pure: the follower runs no core. */
  public static Followed follow(long held, List<LogEntry> entries) {
    List<LogEntry> store = new ArrayList<>();
    for (LogEntry e : entries) {
      if (e.seq() <= held) {
        continue;
      }
      if (e.seq() != held + 1) {
        return new Followed(store, held, true);
      }
      if (e.mutation() instanceof Mutation.Ending) {
        break;
      }
      store.add(e);
      held = e.seq();
    }
    return new Followed(store, held, false);
  }

  /** Where the follower in {@code slot} runs, if this tail serves one there (it is in no configuration). */
  public Optional<String> followerNode(int slot) {
    Follower f = followers.get(slot);
    return f == null ? Optional.empty() : Optional.of(f.node);
  }

  /** Most followers a tail serves at once (a range has one move under way at a time). */
  static final int MAX_FOLLOWERS = 4;

  private void onWelcome(PeerMessage.Welcome w, Output<R> out) {
    if (!fromPredecessor(w) || welcomed) {
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
    Optional<Replica> prev = isMember() ? config.predecessor(slot) : Optional.empty();
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
        new Output.Envelope<>(prev.get().slot(), new PeerMessage.Hello(config.epoch(), slot, lastReceived)));
  }

  // ------------------------------------------------------------------------- a new head takes over

  private void startProbe(Output<R> out) {
    probe = new HashMap<>();
    fetchingUpTo = -1;
    probeTick = ticks;
    if (config.chain().size() == 1) {
      probeDone(out);
      return;
    }
    startProbeMessages(out);
  }

  private void onProbe(PeerMessage.Probe p, Output<R> out) {
    if (config.head().slot() != p.fromSlot()) {
      return;
    }
    out.messages.add(new Output.Envelope<>(p.fromSlot(),
        new PeerMessage.Holding(config.epoch(), slot, lastReceived)));
  }

  private void onHolding(int from, long holds, Output<R> out) {
    if (probe == null || !isHead() || config.indexOf(from) < 0 || from == slot) {
      return;
    }
    probe.put(from, holds);
    if (probe.size() < config.chain().size() - 1 || fetchingUpTo >= 0) {
      return;
    }
    int best = -1;
    long most = lastReceived;
    for (Map.Entry<Integer, Long> e : probe.entrySet()) {
      if (e.getValue() > most) {
        most = e.getValue();
        best = e.getKey();
      }
    }
    if (best < 0) {
      probeDone(out);
      return;
    }
    fetchingUpTo = most;
    out.messages.add(new Output.Envelope<>(best,
        new PeerMessage.Fetch(config.epoch(), slot, lastReceived + 1, most)));
  }

  private void onFetch(PeerMessage.Fetch f, Output<R> out) {
    if (config.head().slot() != f.fromSlot()) {
      return;
    }
    List<LogEntry> entries = new ArrayList<>(log.subMap(f.fromSeq(), true, f.toSeq(), true).values());
    entries.addAll(early.subMap(f.fromSeq(), true, f.toSeq(), true).values());
    out.messages.add(new Output.Envelope<>(f.fromSlot(),
        new PeerMessage.Backfill(config.epoch(), slot, entries)));
  }

  private void onBackfill(PeerMessage.Backfill b, Output<R> out) {
    if (probe == null || !isHead()) {
      return;
    }
    for (LogEntry e : b.entries()) {
      if (e.seq() > lastReceived) {
        early.put(e.seq(), e);
      }
    }
    acceptEarly(out);
    if (lastReceived >= fetchingUpTo) {
      probeDone(out);
    } else {
      fetchingUpTo = -1; // the answer fell short (the replica lost entries meanwhile): ask again
      probe.clear();
      probeTick = ticks;
      startProbeMessages(out);
    }
  }

  /** The head holds everything any replica holds: it sequences again, starting with the held writes. */
  private void probeDone(Output<R> out) {
    probe = null;
    early.clear();
    List<Queued<R>> held = List.copyOf(queued);
    queued.clear();
    for (Queued<R> q : held) {
      write(q.epoch(), q.id(), q.op(), q.replyTo(), false, out); // no clock here: a refusal is logged
    }
  }

  // ------------------------------------------------------------------------------------------ time

  /**
   * A clock tick (the shell sends one every {@code tick}). Every member asks for its read lease. Messages
   * can be lost (a shard moving between nodes drops what it buffered; a node restarts): when entries have
   * been waiting for an acknowledgement for {@code resend-after-ticks} ticks, they are sent to the
   * successor again; a Hello or Probe that got no answer is repeated. Duplicates are harmless.
   */
  public Output<R> onTick() {
    Output<R> out = new Output<>();
    ticks++;
    out.leaseWanted = isMember();
    if (!isMember()) {
      return out;
    }
    int after = settings.resendAfterTicks();
    if (endCommitted() && isHead() && ticks - endReportTick >= after) {
      reportEnded(out); // until the controller published what takes over (the shell then stops this one)
    }
    if (config.predecessor(slot).isPresent()) {
      boolean unanswered = !welcomed && ticks - lastHelloTick >= after;
      boolean gap = !early.isEmpty() && ticks - lastAcceptTick >= after && ticks - lastHelloTick >= after;
      if (unanswered || gap) {
        sayHello(out, false); // the Hello, its answer or entries were lost: ask again from what we hold
      }
    }
    if (probe != null && ticks - probeTick >= after) {
      probe.clear();
      fetchingUpTo = -1;
      probeTick = ticks;
      startProbeMessages(out);
    }
    if (!isTail() && ackedByTail < lastPersisted && ticks - lastDurableTick >= after) {
      // The tail has not acknowledged what this replica holds: it may have missed our word (a new tail
      // drops what reaches it before it starts), and with no write coming nothing would repeat it.
      lastDurableTick = ticks;
      toldDurable = -1;
    }
    if (lastReceived <= committed || isTail()) {
      lastProgressTick = ticks;
      return out;
    }
    if (ticks - lastProgressTick >= after) {
      // Nothing committed for a while: the forwards, our word to the tail or its acknowledgement may be
      // lost. Say it all again; the others drop what they have.
      lastProgressTick = ticks;
      toldDurable = -1;
      Optional<Replica> next = config.successor(slot);
      if (next.isPresent() && lastForwarded > committed) {
        sendForwards(next.get().slot(), log.subMap(committed, false, lastForwarded, true).values(), out);
      }
    }
    return out;
  }

  private void startProbeMessages(Output<R> out) {
    for (Replica r : config.chain()) {
      if (r.slot() != slot) {
        out.messages.add(new Output.Envelope<>(r.slot(), new PeerMessage.Probe(config.epoch(), slot)));
      }
    }
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
    boolean wasHead = isHead();
    int oldPredecessor = isMember() ? config.predecessor(slot).map(Replica::slot).orElse(-1) : -2;
    int oldTail = config.tail().slot();
    config = next;
    followers.clear();
    // Latest-reads waiting at the old configuration's head are served now, as plain reads of the new one
    // (refused, or answered from the view, or sent to the tail): the writes they waited for may never
    // commit here.
    releaseLatestReads(Long.MAX_VALUE, out);
    if (!isHead()) {
      // Compare-and-sets refused at the old head: the writes they saw may never commit. Nothing was
      // sequenced for them, so the client may simply try again at the new head.
      for (List<Output.Reply<R>> waitingRefusals : refusals.values()) {
        for (Output.Reply<R> r : waitingRefusals) {
          out.replies.add(new Output.Reply<>(r.replyTo(), rejected(ClientReply.Reason.NOT_HEAD)));
        }
      }
      refusals.clear();
    }
    if (!isMember()) {
      publish();
      return out;
    }
    if (config.tail().slot() != oldTail) {
      ackedByTail = -1;
      toldDurable = -1; // a new tail: tell it what we hold
      durableAt.clear();
      ackedTo.clear();
    }
    durableAt.keySet().removeIf(s -> config.indexOf(s) < 0);
    if (isTail()) {
      commitUpTo(durableEverywhere(), out);
    }
    // Whoever precedes this replica now learns what it holds and resends the rest. A new predecessor may
    // have committed entries this replica lacks: it is out of sync until told how far to get.
    int newPredecessor = config.predecessor(slot).map(Replica::slot).orElse(-1);
    sayHello(out, newPredecessor != oldPredecessor);
    if (isHead()) {
      if (!wasHead || probe != null) {
        startProbe(out);
      }
    } else {
      probe = null;
      for (Queued<R> q : queued) {
        out.replies.add(new Output.Reply<>(q.replyTo(), rejected(ClientReply.Reason.NOT_HEAD)));
      }
      queued.clear();
    }
    out.leaseWanted = true;
    publish();
    for (PeerMessage m : earlyMessages.takeFor(config.epoch())) {
      peer(m, out);
    }
    return out;
  }

  /**
   * Every client this replica holds an answer for (the head's writes in flight, retries waiting for them,
   * latest-reads and refused compare-and-sets waiting for a commit, writes held while probing), forgotten
   * here: the shell answers them when it must stop.
   */
  public List<R> abandon() {
    List<R> all = new ArrayList<>(replies.values());
    waiting.values().forEach(all::addAll);
    latestReads.values().forEach(reads -> reads.forEach(r -> all.add(r.replyTo())));
    latestReads.clear();
    refusals.values().forEach(answers -> answers.forEach(r -> all.add(r.replyTo())));
    refusals.clear();
    queued.forEach(q -> all.add(q.replyTo()));
    replies.clear();
    waiting.clear();
    queued.clear();
    return all;
  }

  /** False once a configuration without this replica arrived. */
  public boolean isMember() {
    return config.indexOf(slot) >= 0;
  }

  private void publish() {
    view.publish(config.epoch(), isMember(), isTail(), synced, leased, leaseUntil);
  }
}
