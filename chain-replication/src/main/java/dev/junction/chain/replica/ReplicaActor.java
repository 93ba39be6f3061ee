package dev.junction.chain.replica;

import dev.junction.chain.core.Answered;
import dev.junction.chain.core.ChainReplica;
import dev.junction.chain.core.ChainSettings;
import dev.junction.chain.core.ClientReply;
import dev.junction.chain.core.EarlyMessages;
import dev.junction.chain.core.LogEntry;
import dev.junction.chain.core.LogRetention;
import dev.junction.chain.core.Output;
import dev.junction.chain.core.PeerMessage;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.chain.core.ReadView;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.core.WriteResult;
import dev.junction.chain.serialization.JunctionSerializable;
import dev.junction.store.InvalidRequestException;
import dev.junction.store.KeyValue;
import dev.junction.store.ScanPage;
import dev.junction.store.StoreFullException;
import dev.junction.store.Versioned;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The actor that hosts one replica of one range (a Cluster Sharding entity {@code <rangeId>.<slot>}): a
 * thin shell around {@link ChainReplica}. It turns messages into the core's inputs and carries each
 * {@link Output} out in order: persist through {@link ReplicaStore} (the node's group commit), send to
 * peers, answer clients, serve reads. After a run of inputs it flushes the core (a {@code Flush} it sends
 * itself once per run), so forwards, persists and acknowledgements are batched per run of the mailbox.
 *
 * <p><b>Fast paths.</b> While it serves, the replica is listed in the node's {@link LocalReplicas}: the
 * node's gateway hands it requests directly (no sharding lookup, no temporary actor, no serialization)
 * and answers reads on its own thread through the core's {@link ReadView}. Messages for peers go to this
 * node's {@link ChainLink}, which batches them per node and hands them to the peer replicas through their
 * nodes' registries; only a message for a replica that is not in this replica's configuration goes
 * through sharding.
 *
 * <p>A replica whose range configuration is unknown, that is not in the chain, or that runs on another
 * node than its configuration names (sharding may start it elsewhere before the controller's placement
 * is known) serves nothing: it answers {@code NOT_IN_CHAIN} and waits for a configuration that names it
 * here.
 */
public final class ReplicaActor extends AbstractBehavior<ReplicaActor.Command> {

  /** Everything a replica receives. */
  public sealed interface Command extends JunctionSerializable
      permits ClientWrite, ClientRead, Peer, ConfigChanged, Wake, GetStatus, LeaseGranted, Join, WhereIsBulk,
          BulkAt, Persisted, PersistFailed, TransferDone, TransferFailed, FollowFailed, Tick, Flush, End, HoldLog,
          Recovered {}

  /** A client write for the head, from a router whose table has {@code epoch} for the range. */
  public record ClientWrite(long epoch, RequestId id, WriteOp op, Responder replyTo) implements Command {}

  /** A client read (a scan for the tail, or a get), from a router whose table has {@code epoch}. */
  public record ClientRead(long epoch, ReadOp op, Responder replyTo) implements Command {}

  /** A message from another replica of the range (through the nodes' {@link ChainLink}s). */
  public record Peer(PeerMessage message) implements Command {}

  /** The range has a new configuration. */
  public record ConfigChanged(RangeConfig config) implements Command {}

  /** Starts the entity (the controller wakes every replica after placing it). */
  public enum Wake implements Command {
    INSTANCE
  }

  /**
   * The controller granted this replica a read lease of {@code durationNanos} counted from {@code
   * requestedAt} (this node's monotonic clock when the replica asked).
   */
  public record LeaseGranted(long requestedAt, long durationNanos) implements Command {}

  /**
   * From the controller, to every replica of a range that is being copied to a new replica: keep the whole
   * stored log for {@code durationNanos} from now, on this node's clock ({@link LogRetention#hold}: the copy
   * catches up from its predecessor's log when it joins). Repeated every tick while the copy runs.
   */
  public record HoldLog(long durationNanos) implements Command {}

  /**
   * From the controller, to a replica not yet in its range's chain: copy the range from replica
   * {@code sourceSlot} of {@code config} over the bulk path, then report ready ({@link
   * ChainDirectory#joinReady}) and wait to be added at the tail. Repeated until the replica is in the
   * chain; a replica that is copying or ready only reports again.
   */
  public record Join(RangeConfig config, int sourceSlot, String node) implements Command {}

  /** Asks a replica where its node's bulk server listens ({@link BulkAt} answers). */
  public record WhereIsBulk(ActorRef<Command> replyTo) implements Command {}

  /** Where a node's bulk server listens. */
  public record BulkAt(String host, int port) implements Command {}

  /** A state transfer finished (private): the copy holds the range as of {@code appliedSeq}. */
  record TransferDone(long appliedSeq) implements Command {}

  /** A state transfer failed (private). */
  record TransferFailed(String message) implements Command {}

  /** A batch of followed entries did not reach the store (private). */
  record FollowFailed(String message) implements Command {}

  /**
   * The replica's stored state was read (private): its core starts at {@code config} from {@code stored},
   * or, with a {@code failure}, the replica stops (sharding starts it again when it is next called).
   */
  record Recovered(RangeConfig config, Stored stored, String failure) implements Command {}

  /**
   * What a replica starts from: the applied and committed sequence numbers, the stored log, and the
   * requests the earlier ranges whose keys it took over answered ({@link #readStored}).
   */
  record Stored(long applied, long committed, List<LogEntry> log, List<Answered> inherited) {}

  /**
   * From the controller, to the head of the range at {@code epoch}: end the range with {@code ending} (a
   * split, or half of a merge; see {@link ChainReplica#onEnd}). Repeated until the head reports it
   * committed ({@link ChainDirectory#reportEnded}).
   */
  public record End(long epoch, dev.junction.chain.core.Mutation.Ending ending) implements Command {}

  /** Asks where the replica stands. */
  public record GetStatus(ActorRef<Status> replyTo) implements Command {}

  /** The replica's clock (private): resends, lease renewals. */
  enum Tick implements Command {
    INSTANCE
  }

  /** The end of a run of inputs (private): flush the core. */
  enum Flush implements Command {
    INSTANCE
  }

  /** Persists of the replica committed (private); how far is in {@code persistedUpTo}. */
  enum Persisted implements Command {
    INSTANCE
  }

  /** A persist of the replica failed (private). */
  record PersistFailed(boolean full, String message) implements Command {}

  /** What a replica answers a client with. */
  public sealed interface Reply extends JunctionSerializable
      permits WriteDone, Value, Entries, Rejected, Failed, AtTail {}

  /** A write committed. */
  public record WriteDone(WriteResult result) implements Reply {}

  /** The answer to a get: the value, or null when the key is absent. */
  public record Value(Versioned value) implements Reply {}

  /**
   * The answer to a scan, in key order; {@code more} when the replica cut the answer at its size budget
   * and the range holds more entries after the last one.
   */
  public record Entries(List<KeyValue> entries, boolean more) implements Reply {}

  /** The replica cannot serve this request at this epoch; {@code epoch} is its own. */
  public record Rejected(ClientReply.Reason reason, long epoch) implements Reply {}

  /** The request failed at the replica. */
  public record Failed(Failure kind, String message) implements Reply {}

  /** The key has a write in flight here: read it at the range's tail. */
  public enum AtTail implements Reply {
    INSTANCE
  }

  /** Why a request failed. */
  public enum Failure {
    STORE_FULL,
    INVALID,
    INTERNAL,
    /** The write may or may not have been applied (the replica failed with it in flight). */
    OUTCOME_UNKNOWN
  }

  /**
   * Where a replica stands, for status pages and readiness checks: {@code serving} when it runs in its
   * chain here and can answer reads (in sync with its predecessor and holding its read lease); {@code
   * leaseLeftNanos}, how long its read lease still runs (0: none).
   */
  public record Status(
      String entityId,
      String node,
      boolean serving,
      long epoch,
      String role,
      long lastPersisted,
      long committed,
      long leaseLeftNanos)
      implements JunctionSerializable {}

  private final ReplicaId id;
  private final ReplicaStore store;
  private final ChainDirectory directory;
  private final ChainSettings settings;
  private ChainReplica<Responder> core;
  /**
   * While the replica's stored state is read off the actors' threads ({@link #startIfPlacedHere}), the
   * configuration it will start at; null otherwise.
   */
  private RangeConfig recovering;
  private LocalReplicas.Handle handle;
  /** Which committed records the stored log keeps; {@link HoldLog} holds it whole for a copy. */
  private final LogRetention retention;
  private long lastLeaseAsk;
  private boolean askedForLease;
  private boolean flushPending;
  /** Said once that sharding started this replica away from its chain's node ({@link #noteIfMisplaced}). */
  private boolean misplacedNoted;
  /** How far this replica's persists committed (the store's thread raises it; see {@link Persisted}). */
  private final AtomicLong persistedUpTo = new AtomicLong();
  private final AtomicBoolean persistSignalled = new AtomicBoolean();
  /** When this replica, as head, sequenced its recent client writes: by seq modulo the ring. */
  private static final int TIMED = 4096;
  private final long[] timedSeq = new long[TIMED];
  private final long[] sequencedAt = new long[TIMED];
  /** Up to which seq the persisted and committed times were taken. */
  private long persistTimedUpTo;
  private long commitTimedUpTo;
  private final WriteTimings timings;

  /**
   * A replica that is not in the chain yet, joining: locating its source, copying, following the tail's
   * committed entries (see {@link PeerMessage.Follow}), or ready.
   */
  private enum Joining { NO, LOCATING, COPYING, FOLLOWING, READY }

  private Joining joining = Joining.NO;
  /** Peer messages that reached this replica before its core started. */
  private final EarlyMessages beforeStart = new EarlyMessages(EarlyMessages.DEFAULT_LIMIT);
  /**
   * Client requests that reached this replica before it started, while its start was near: its stored
   * state was being read, or the request's gateway knew a configuration of the range newer than this
   * node's table (which is on its way). They are handled once the core starts; a configuration that does
   * not start it, or {@link #HOLD_BEFORE_START}, has them refused as before (their gateways then retry).
   * Refused at once, each of them paused its request {@code Router.REJECTED_PAUSE} (50 ms) and a table
   * refresh: a split's new replicas start a few milliseconds after the gateways route to them.
   */
  private final ArrayDeque<Command> heldBeforeStart = new ArrayDeque<>();
  private long heldSince;
  static final long HOLD_BEFORE_START = Duration.ofMillis(500).toNanos();
  private RangeConfig joinConfig;
  private long transferredSeq;
  private long locatingSince;
  /**
   * While following: the highest sequence number held in order (the copy's, then the tail's forwards'),
   * and, on the monotonic clock, when following began, when the tail last sent entries, when this replica
   * last asked it.
   */
  private long followedSeq;
  private long followSince;
  private long followHeard;
  private long followAsked;
  /** Up to which sequence number this follower truncated its stored log. */
  private long followTruncated;
  /** This replica's claim on its interval in the node's {@link Leftovers} (0: none yet). */
  private long claim;
  /** When this incarnation began, on the monotonic clock ({@link #stopIfNeverStarted}). */
  private final long createdAt = System.nanoTime();

  private ReplicaActor(
      ActorContext<Command> context, ReplicaId id, ReplicaStore store, ChainDirectory directory) {
    super(context);
    this.id = id;
    this.store = store;
    this.directory = directory;
    this.settings = directory.chainSettings();
    this.retention = new LogRetention(settings.retainedLog(), System.nanoTime());
    this.timings = directory.locals().timings();
    directory.subscribe(id.rangeId(), context.getSelf());
    directory.config(id.rangeId()).ifPresent(this::startIfPlacedHere);
  }

  public static Behavior<Command> create(ReplicaId id, ReplicaStore store, ChainDirectory directory) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, directory.chainSettings().tick());
                  return new ReplicaActor(ctx, id, store, directory);
                }));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ClientWrite.class, this::onClientWrite)
        .onMessage(ClientRead.class, this::onClientRead)
        .onMessage(Peer.class, this::onPeer)
        .onMessage(ConfigChanged.class, this::onConfigChanged)
        .onMessageEquals(Wake.INSTANCE, () -> this)
        .onMessage(GetStatus.class, this::onGetStatus)
        .onMessage(LeaseGranted.class, this::onLeaseGranted)
        .onMessage(HoldLog.class, this::onHoldLog)
        .onMessage(Join.class, this::onJoin)
        .onMessage(End.class, this::onEnd)
        .onMessage(WhereIsBulk.class, this::onWhereIsBulk)
        .onMessage(BulkAt.class, this::onBulkAt)
        .onMessage(TransferDone.class, this::onTransferDone)
        .onMessage(TransferFailed.class, this::onTransferFailed)
        .onMessage(FollowFailed.class, this::onFollowFailed)
        .onMessage(Recovered.class, this::onRecovered)
        .onMessageEquals(Persisted.INSTANCE, this::onPersisted)
        .onMessage(PersistFailed.class, this::onPersistFailed)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(Flush.INSTANCE, this::onFlush)
        .onSignal(PostStop.class, s -> {
          unlist();
          releaseClaim();
          return this;
        })
        .build();
  }

  /**
   * Once per incarnation: sharding started this replica here, but its chain names another node (or the
   * copy it is asked to make is for another node). It waits for sharding to move it (at sharding's next
   * rebalance), and its range's writes, or its copy, wait with it.
   */
  private void noteIfMisplaced(RangeConfig config) {
    int i = config.indexOf(id.slot());
    if (i >= 0) {
      noteMisplaced(config.chain().get(i).node());
    }
  }

  /** {@link #noteIfMisplaced}, for a replica whose chain (or whose copy's request) names {@code node}. */
  private void noteMisplaced(String node) {
    if (misplacedNoted) {
      return;
    }
    misplacedNoted = true;
    directory.locals().misplacedStart(id);
    getContext().getLog().info("replica {} was started on {}, but its chain places it on {}: it does nothing here "
        + "until sharding moves it", id, directory.selfNode(), node);
  }

  private boolean placedHere(RangeConfig config) {
    int i = config.indexOf(id.slot());
    return i >= 0 && config.chain().get(i).node().equals(directory.selfNode());
  }

  private void startIfPlacedHere(RangeConfig config) {
    if (core != null || recovering != null) {
      return;
    }
    if (!placedHere(config)) {
      noteIfMisplaced(config);
      return;
    }
    if (joining == Joining.LOCATING || joining == Joining.COPYING) {
      getContext().getLog().error(
          "replica {} is in the chain at epoch {} while its state transfer is unfinished; it waits", id,
          config.epoch());
      return;
    }
    Optional<Integer> foreign = store.foreignSlot();
    if (foreign.isPresent()) {
      getContext().getLog().error(
          "replica {} will not serve: this node's data of range {} belongs to slot {}", id, id.rangeId(),
          foreign.get());
      return;
    }
    boolean copy = joining != Joining.NO;
    joining = Joining.NO;
    claimInterval(config);
    int retired = directory.locals().retireOverlapping(id.rangeId(), config.start(), config.end());
    if (retired > 0) {
      getContext().getLog().info("replica {} takes over keys of {} replica(s) of an earlier range on this node; "
          + "they serve no more reads", id, retired);
    }
    if (copy) {
      // A copy that followed its tail starts at once: the tail's forwards must not fall in between (early
      // messages keep no forwards).
      start(config, readStored(config));
      return;
    }
    // Reading the stored log (up to retained-log records) and, for a split's or merge's range, the earlier
    // ranges' logs takes 50-150 ms under load: not on the actors' pool, which Artery and every replica of
    // the node share (two threads on two cores). Meanwhile the replica answers as one not yet started.
    recovering = config;
    java.util.concurrent.Executor blocking =
        getContext().getSystem().dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
    getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> readStored(config), blocking),
        (stored, error) -> new Recovered(config, stored, error == null ? null : String.valueOf(unwrap(error))));
  }

  /**
   * The replica's stored state, and what the earlier ranges whose keys it took over answered: handed on by
   * their replicas on this node when their endings committed, or else (after a restart) read from their
   * stored logs.
   */
  private Stored readStored(RangeConfig config) {
    List<LogEntry> log = store.storedLog();
    long applied = store.appliedSeq();
    List<Answered> inherited = new ArrayList<>();
    for (ReplicaStore earlier : store.predecessors(config)) {
      inherited.addAll(directory.locals().handedOver(earlier.rangeId())
          .orElseGet(() -> Answered.of(earlier.storedLog())));
    }
    return new Stored(applied, store.committedSeq(log), log, inherited);
  }

  private Behavior<Command> onRecovered(Recovered r) {
    recovering = null;
    if (r.failure() != null) {
      throw new IllegalStateException("replica " + id + " could not read its stored state: " + r.failure());
    }
    start(r.config(), r.stored());
    directory.config(id.rangeId()).filter(c -> c.epoch() > r.config().epoch())
        .ifPresent(c -> getContext().getSelf().tell(new ConfigChanged(c))); // it changed while the store was read
    return this;
  }

  private void start(RangeConfig config, Stored stored) {
    core = ChainReplica.recover(id.slot(), config, settings, stored.applied(), stored.committed(), stored.log(),
        stored.inherited(), store::get);
    directory.locals().replicaWorkSince(System.nanoTime());
    persistedUpTo.set(stored.applied());
    getContext()
        .getLog()
        .info("replica {} serving at epoch {} as {} (applied {}, committed {}, {} log records, {} requests remembered "
            + "from earlier ranges)",
            id, config.epoch(), role(), stored.applied(), stored.committed(), stored.log().size(),
            stored.inherited().size());
    carry(core.start());
    handle = new LocalReplicas.Handle(id, getContext().getSelf(), core.view(), store, config.start(), config.end());
    directory.locals().register(handle);
    for (PeerMessage m : beforeStart.takeAll()) {
      carry(core.onPeer(m)); // the core keeps those of a newer epoch and drops older ones
    }
    releaseHeld();
  }

  /** From now until this replica stops, no wipe of what other replicas left here touches its keys. */
  private void claimInterval(RangeConfig config) {
    if (claim == 0) {
      claim = directory.locals().leftovers().claim(config.start(), config.end());
    }
  }

  private void unlist() {
    if (handle != null) {
      directory.locals().unregister(handle);
      handle = null;
    }
  }

  private String role() {
    if (core == null || !core.isMember()) {
      return "none";
    }
    if (core.isHead() && core.isTail()) {
      return "head+tail";
    }
    return core.isHead() ? "head" : core.isTail() ? "tail" : "middle";
  }

  private Behavior<Command> onClientWrite(ClientWrite w) {
    if (core == null) {
      if (!holdBeforeStart(w, w.epoch())) {
        w.replyTo().reply(notServing());
      }
    } else if (store.full() && !(w.op() instanceof WriteOp.Delete)) {
      // Refused before it is sequenced: once forwarded, a write could not be taken back.
      w.replyTo().reply(new Failed(Failure.STORE_FULL, "the store of replica " + id + " on "
          + directory.selfNode() + " is full; deletes still work"));
    } else {
      long before = core.lastReceived();
      long now = System.nanoTime();
      carry(core.onClientWrite(w.epoch(), w.id(), w.op(), w.replyTo(), now));
      long seq = core.lastReceived();
      if (seq == before + 1) { // sequenced now (not queued, refused or answered from the dedup table)
        int i = (int) (seq & (TIMED - 1));
        timedSeq[i] = seq;
        sequencedAt[i] = now;
      }
    }
    return this;
  }

  /**
   * Records the times of the writes this head sequenced that became durable here ({@code persisted}) or
   * committed since the last call, and returns how far it recorded.
   */
  private long recordTimes(long from, long upTo, boolean persisted) {
    if (upTo < from) {
      return upTo; // a new chain state: start again from it
    }
    long now = System.nanoTime();
    for (long seq = Math.max(from + 1, upTo - TIMED + 1); seq <= upTo; seq++) {
      int i = (int) (seq & (TIMED - 1));
      if (timedSeq[i] != seq) {
        continue;
      }
      if (persisted) {
        timings.persisted(now - sequencedAt[i]);
      } else {
        timings.committed(now - sequencedAt[i]);
        timedSeq[i] = 0;
      }
    }
    return upTo;
  }

  private Behavior<Command> onClientRead(ClientRead r) {
    if (core == null) {
      if (!holdBeforeStart(r, r.epoch())) {
        r.replyTo().reply(notServing());
      }
    } else {
      carry(core.onClientRead(r.epoch(), r.op(), r.replyTo(), System.nanoTime()));
    }
    return this;
  }

  /** Holds a client request of a gateway whose table has {@code epoch}, if this replica's start is near. */
  private boolean holdBeforeStart(Command request, long epoch) {
    long known = directory.config(id.rangeId()).map(RangeConfig::epoch).orElse(0L);
    boolean near = recovering != null || (epoch > known && !misplacedNoted);
    if (!near || heldBeforeStart.size() >= settings.maxQueuedWrites()) {
      return false;
    }
    if (heldBeforeStart.isEmpty()) {
      heldSince = System.nanoTime();
    }
    heldBeforeStart.add(request);
    return true;
  }

  /** Hands the requests held before the start to the started core, or refuses them when it did not start. */
  private void releaseHeld() {
    while (!heldBeforeStart.isEmpty()) {
      Command c = heldBeforeStart.poll();
      if (core == null) {
        (c instanceof ClientWrite w ? w.replyTo() : ((ClientRead) c).replyTo()).reply(notServing());
      } else if (c instanceof ClientWrite w) {
        onClientWrite(w);
      } else {
        onClientRead((ClientRead) c);
      }
    }
  }

  private Reply notServing() {
    long epoch = directory.config(id.rangeId()).map(RangeConfig::epoch).orElse(0L);
    return new Rejected(ClientReply.Reason.NOT_IN_CHAIN, epoch);
  }

  private Behavior<Command> onPeer(Peer p) {
    if (core != null) {
      carry(core.onPeer(p.message()));
    } else if (joining == Joining.FOLLOWING && p.message() instanceof PeerMessage.Forward f) {
      // This replica's slot was in no chain yet: only a tail's follow stream sends it forwards, of
      // committed entries.
      onFollowed(f.entries());
    } else if (joining == Joining.FOLLOWING) {
      beforeStart.keep(p.message());
    } else if (joining == Joining.NO || joining == Joining.READY) {
      // A peer works at this epoch: if this node's table does not hold it yet, this replica may be in it
      // (the directory reads the table then, and does nothing when it holds that epoch already). What
      // it said is kept for the core this replica starts then (see EarlyMessages): a new tail's
      // predecessors tell it what they hold the moment they adopt the chain, often before it starts.
      beforeStart.keep(p.message());
      directory.newerEpochSeen(id.rangeId(), p.message().epoch());
    }
    return this;
  }

  private Behavior<Command> onConfigChanged(ConfigChanged c) {
    if (core == null) {
      startIfPlacedHere(c.config());
      if (core == null && recovering == null) {
        releaseHeld(); // the configuration they waited for came, and it did not start this replica
      }
      return core == null && copyCannotJoin(c.config()) ? abandonCopy(c.config()) : this;
    }
    carry(core.onConfig(c.config()));
    if (!core.isMember()) {
      getContext().getLog().info("replica {} left the chain at epoch {}; its data here will be wiped", id,
          c.config().epoch());
      return leaveDataBehind(c.config());
    }
    return this;
  }

  private Behavior<Command> onEnd(End e) {
    if (core != null) {
      carry(core.onEnd(e.epoch(), e.ending()));
    }
    return this;
  }

  private Behavior<Command> onGetStatus(GetStatus g) {
    long now = System.nanoTime();
    g.replyTo()
        .tell(
            new Status(
                id.entityId(),
                directory.selfNode(),
                core != null && core.readable(now),
                core == null ? 0 : core.config().epoch(),
                role(),
                core == null ? 0 : core.lastPersisted(),
                core == null ? 0 : core.committed(),
                core == null ? 0 : core.leaseLeftNanos(now)));
    return this;
  }

  // ------------------------------------------------------------------------------- joining a chain

  /** How long a replica waits for its source's bulk address before asking again. */
  private static final long LOCATE_RETRY = Duration.ofSeconds(2).toNanos();

  private Behavior<Command> onJoin(Join j) {
    if (core != null || recovering != null) {
      return this; // already in the chain
    }
    switch (joining) {
      case READY -> directory.joinReady(id, transferredSeq);
      case COPYING -> { }
      case LOCATING, NO -> {
        if (joining == Joining.LOCATING && System.nanoTime() - locatingSince < LOCATE_RETRY) {
          return this;
        }
        if (j.config().indexOf(j.sourceSlot()) < 0 || j.config().indexOf(id.slot()) >= 0) {
          return this; // not for this incarnation
        }
        if (!j.node().equals(directory.selfNode())) {
          noteMisplaced(j.node()); // sharding runs it elsewhere for a moment
          return this;
        }
        joining = Joining.LOCATING;
        joinConfig = j.config();
        locatingSince = System.nanoTime();
        getContext().getLog().info("replica {} joins range {}: locating the bulk server of slot {}", id,
            j.config(), j.sourceSlot());
        directory.send(new ReplicaId(id.rangeId(), j.sourceSlot()), new WhereIsBulk(getContext().getSelf()));
      }
    }
    return this;
  }

  private Behavior<Command> onWhereIsBulk(WhereIsBulk w) {
    InetSocketAddress a = directory.bulk().address();
    w.replyTo().tell(new BulkAt(a.getHostString(), a.getPort()));
    return this;
  }

  private Behavior<Command> onBulkAt(BulkAt at) {
    if (joining != Joining.LOCATING || core != null) {
      return this;
    }
    joining = Joining.COPYING;
    RangeConfig config = joinConfig;
    claimInterval(config); // before the copy's first write
    InetSocketAddress peer = new InetSocketAddress(at.host(), at.port());
    getContext().getLog().info("replica {} copies range {} from {}", id, id.rangeId(), peer);
    // The copy blocks a thread until the range is in (network and store writes): Pekko's pool for blocking
    // work, not the common pool (one thread on two cores, shared with every other async task of the JVM).
    java.util.concurrent.Executor blocking =
        getContext().getSystem().dispatchers().lookup(org.apache.pekko.actor.typed.DispatcherSelector.blocking());
    getContext().pipeToSelf(
        CompletableFuture.supplyAsync(() -> StateTransfer.copy(store, directory.bulk(), peer, config), blocking),
        (seq, error) -> error == null ? new TransferDone(seq) : new TransferFailed(String.valueOf(unwrap(error))));
    return this;
  }

  private Behavior<Command> onTransferDone(TransferDone d) {
    joining = Joining.READY;
    transferredSeq = d.appliedSeq();
    getContext().getLog().info("replica {} holds range {} as of seq {}; it follows the chain's tail before it joins",
        id, id.rangeId(), d.appliedSeq());
    Optional<RangeConfig> current = directory.config(id.rangeId());
    if (current.isPresent() && copyCannotJoin(current.get())) {
      return abandonCopy(current.get());
    }
    long now = System.nanoTime();
    joining = Joining.FOLLOWING;
    followedSeq = d.appliedSeq();
    followSince = now;
    followHeard = 0;
    directory.locals().replicaWorkSince(now);
    askToFollow(now);
    current.ifPresent(this::startIfPlacedHere);
    return this;
  }

  /**
   * How long a follower waits for the tail's answer before it asks again (a configuration change ends the
   * stream), and before it reports ready without one (it then catches up when it joins, as without following).
   */
  private static final long FOLLOW_ASK_AGAIN = Duration.ofSeconds(1).toNanos();

  /** Asks the range's tail, as this node's table names it, for the committed entries after those held here. */
  private void askToFollow(long now) {
    followAsked = now;
    Optional<RangeConfig> current = directory.config(id.rangeId());
    if (current.isEmpty() || current.get().indexOf(id.slot()) >= 0) {
      return;
    }
    RangeConfig c = current.get();
    directory.sendPeer(c.tail().node(), c.replicaId(c.tail().slot()),
        new PeerMessage.Follow(c.epoch(), id.slot(), followedSeq, directory.selfNode()));
  }

  /**
   * Entries from the tail's follow stream: committed, so they are stored as they come, in order (an empty
   * forward: the tail had nothing to catch up). A gap (a lost batch) asks again from what is held; the
   * range's ending is not applied (the range moves on without this copy, which is then given up).
   */
  private void onFollowed(List<LogEntry> entries) {
    ChainReplica.Followed accepted = ChainReplica.follow(followedSeq, entries);
    List<LogEntry> batch = accepted.store();
    boolean gap = accepted.gap();
    followedSeq = accepted.held();
    long now = System.nanoTime();
    if (!gap) {
      followHeard = now;
    }
    if (!batch.isEmpty()) {
      ActorRef<Command> self = getContext().getSelf();
      store.persist(joinConfig, batch, followedSeq).whenComplete((seq, error) -> {
        if (error != null) {
          self.tell(new FollowFailed(String.valueOf(unwrap(error).getMessage())));
        }
      });
      // The stored log keeps what a core keeps (retained-log records), not all that was followed.
      long keepAfter = followedSeq - settings.retainedLog();
      if (keepAfter - followTruncated >= settings.retainedLog() / 4 + 1) {
        store.truncateLog(keepAfter);
        followTruncated = keepAfter;
      }
    }
    if (gap && now - followAsked >= settings.tick().toNanos()) {
      askToFollow(now);
    }
  }

  /**
   * Following: asks the tail again when its stream went quiet, and reports ready to join once the tail
   * caught it up (its first forward came without a gap; or a second passed without an answer) and this node
   * has run replicas' write paths for {@code follow-before-join} (see {@link LocalReplicas#replicaWorkSince}).
   */
  private Behavior<Command> onFollowTick() {
    long now = System.nanoTime();
    Optional<RangeConfig> current = directory.config(id.rangeId());
    if (current.isPresent() && copyCannotJoin(current.get())) {
      return abandonCopy(current.get());
    }
    boolean nodeWarm = now - directory.locals().replicaWorkSince(now) >= settings.followBeforeJoin().toNanos();
    boolean caughtUp = followHeard != 0 || now - followSince >= FOLLOW_ASK_AGAIN;
    if (nodeWarm && caughtUp) {
      joining = Joining.READY;
      transferredSeq = followedSeq;
      getContext().getLog().info("replica {} followed range {} for {} ms up to seq {}; ready to join the chain", id,
          id.rangeId(), (now - followSince) / 1_000_000, followedSeq);
      directory.joinReady(id, followedSeq);
    } else if (now - Math.max(followHeard, followAsked) >= FOLLOW_ASK_AGAIN) {
      askToFollow(now);
    }
    return this;
  }

  private Behavior<Command> onFollowFailed(FollowFailed f) {
    if (joining != Joining.FOLLOWING && joining != Joining.READY || core != null) {
      return this;
    }
    getContext().getLog().error("replica {}: followed entries did not reach the store ({}); it gives up its copy",
        id, f.message());
    return leaveDataBehind(joinConfig);
  }

  /**
   * Whether this replica's finished copy can never join: the range moved to a later epoch than the one
   * the copy was asked at, without it. The controller gives up a copy whose range's epoch changed before
   * it joined (its slot, new at that epoch, is never used again), so the replica would wait for good.
   */
  private boolean copyCannotJoin(RangeConfig current) {
    return (joining == Joining.READY || joining == Joining.FOLLOWING) && joinConfig != null
        && current.movedOnWithout(joinConfig.epoch(), id.slot());
  }

  /** Stops this copy that can never join; its data here is wiped like a replica's that left its chain. */
  private Behavior<Command> abandonCopy(RangeConfig current) {
    getContext().getLog().info("replica {}: its copy of range {} (asked at epoch {}) can no longer join the chain,"
        + " now at epoch {}; it stops and its data here will be wiped", id, id.rangeId(), joinConfig.epoch(),
        current.epoch());
    return leaveDataBehind(current);
  }

  /** Stops, handing this node's data of the range to the node's {@link Leftovers} to wipe. */
  private Behavior<Command> leaveDataBehind(RangeConfig config) {
    releaseClaim(); // its own claim would keep the wipe off its keys
    directory.locals().leftovers().schedule(store, id.toString(), config.start(), config.end());
    return Behaviors.stopped();
  }

  private void releaseClaim() {
    if (claim != 0) {
      directory.locals().leftovers().release(claim);
      claim = 0;
    }
  }

  private Behavior<Command> onTransferFailed(TransferFailed f) {
    joining = Joining.NO;
    getContext().getLog().warn("replica {}: the state transfer failed ({}); the controller will ask again", id,
        f.message());
    return this;
  }

  // --------------------------------------------------------------------------------------- leases

  private Behavior<Command> onLeaseGranted(LeaseGranted g) {
    if (core != null) {
      core.onLeaseGranted(g.requestedAt(), g.durationNanos());
    }
    return this;
  }

  private Behavior<Command> onHoldLog(HoldLog h) {
    retention.hold(System.nanoTime(), h.durationNanos());
    return this;
  }

  /** Most often a replica asks the controller for its lease outside its ticks (refused reads ask too). */
  private static final long LEASE_ASK_GAP = Duration.ofMillis(50).toNanos();

  private void askForLease() {
    long now = System.nanoTime();
    if (askedForLease && now - lastLeaseAsk < LEASE_ASK_GAP) {
      return;
    }
    askedForLease = true;
    lastLeaseAsk = now;
    directory.requestLease(id, core.config().epoch(), now, getContext().getSelf());
  }

  private Behavior<Command> onTick() {
    if (core == null) {
      return onTickBeforeStart();
    }
    if (core.endCommitted() && directory.config(id.rangeId()).isEmpty()) {
      return endedAndGone();
    }
    carry(core.onTick());
    return this;
  }

  /**
   * A tick before the core started: client requests held past {@link #HOLD_BEFORE_START} are refused, a
   * copy that follows its tail checks whether it may join, and a replica that never starts stops.
   */
  private Behavior<Command> onTickBeforeStart() {
    if (!heldBeforeStart.isEmpty() && recovering == null && System.nanoTime() - heldSince > HOLD_BEFORE_START) {
      releaseHeld();
    }
    if (joining == Joining.FOLLOWING) {
      return onFollowTick();
    }
    return stopIfNeverStarted();
  }

  /**
   * Stops this incarnation if it never started in {@code unstarted-stop-after} and holds nothing: no
   * stored state being read, no copy, no held request. Sharding starts such a replica for any message
   * (a split's new replicas are woken ahead of the split, which the controller may then cancel; a request
   * of a stale gateway reaches a node the range left), and nothing else would ever stop it. Its next
   * message starts it again, from the routing table as it is then.
   */
  private Behavior<Command> stopIfNeverStarted() {
    if (recovering != null || joining != Joining.NO || !heldBeforeStart.isEmpty()
        || System.nanoTime() - createdAt < settings.unstartedStopAfter().toNanos()) {
      return this;
    }
    getContext().getLog().info("replica {} stops: it has not started on {} in {} (its range's configuration {})",
        id, directory.selfNode(), settings.unstartedStopAfter(),
        directory.config(id.rangeId()).map(c -> "at epoch " + c.epoch() + " does not start it here")
            .orElse("is unknown here"));
    return Behaviors.stopped();
  }

  /**
   * The range ended (split or merged, committed here) and the routing table no longer names it: the new
   * ranges serve its keys. Nothing is left to do; a restarted incarnation recovers sealed and serves
   * nothing.
   */
  private Behavior<Command> endedAndGone() {
    core.view().retire(); // a read that took this view before it is unlisted must not see the new ranges' writes
    Reply gone = new Rejected(ClientReply.Reason.SEALED, core.config().epoch());
    for (Responder r : core.abandon()) {
      r.reply(gone);
    }
    getContext().getLog().info("replica {} ends: its range ended at seq {} with {}", id, core.sealedAt(),
        describe(core.ending().get()));
    return Behaviors.stopped();
  }

  private Behavior<Command> onFlush() {
    flushPending = false;
    if (core != null) {
      carryOut(core.flush());
    }
    return this;
  }

  private Behavior<Command> onPersisted() {
    persistSignalled.set(false); // before reading how far: a later commit signals again
    if (core == null) {
      return this;
    }
    long persisted = persistedUpTo.get();
    carry(core.onPersisted(persisted));
    persistTimedUpTo = recordTimes(persistTimedUpTo, persisted, true);
    long truncate = retention.truncateUpTo(core.committed(), core.sealedAt(), System.nanoTime());
    if (truncate >= 0) {
      store.truncateLog(truncate);
    }
    return this;
  }

  /**
   * Sends a successor the committed entries it lacks from the stored log, a chunk at a time, as the core
   * cuts them into forwards. When the log no longer reaches back that far, the successor cannot catch up
   * from it (it stays out of sync and never serves reads): the controller is asked to take it out of the
   * chain, and a full copy replaces it.
   */
  private void sendCatchUp(Output.CatchUp c) {
    long next = c.fromSeq();
    while (next <= c.toSeq()) {
      List<LogEntry> chunk = store.readLog(next, 1024);
      if ((chunk.isEmpty() || chunk.get(0).seq() != next) && core.config().indexOf(c.toSlot()) < 0) {
        getContext().getLog().info("replica {} cannot send follower slot {} entries from seq {}: its stored log"
            + " starts at {}; the copy catches up when it joins", id, c.toSlot(), next,
            chunk.isEmpty() ? "nothing" : chunk.get(0).seq());
        return;
      }
      if (chunk.isEmpty() || chunk.get(0).seq() != next) {
        getContext().getLog().warn(
            "replica {} cannot catch up slot {} from seq {}: its stored log starts at {}; asking the controller"
                + " to replace it", id, c.toSlot(), next, chunk.isEmpty() ? "nothing" : chunk.get(0).seq());
        directory.reportBehind(new ReplicaId(id.rangeId(), c.toSlot()), core.config().epoch());
        return;
      }
      long last = c.toSeq();
      List<LogEntry> wanted = chunk.stream().filter(e -> e.seq() <= last).toList();
      sendMessages(core.onStoredLog(c.toSlot(), wanted));
      next = wanted.get(wanted.size() - 1).seq() + 1;
    }
    getContext().getLog().info("replica {} sent slot {} committed entries {}..{} from its log", id, c.toSlot(),
        c.fromSeq(), c.toSeq());
  }

  private void sendMessages(Output<Responder> out) {
    for (Output.Envelope<Responder> e : out.messages()) {
      send(e.toSlot(), e.message());
    }
  }

  /**
   * To a peer: through the node link to the node the configuration names; a slot the configuration does
   * not name (an old sender told of a newer epoch) through sharding.
   */
  private void send(int slot, PeerMessage m) {
    ReplicaId to = new ReplicaId(id.rangeId(), slot);
    RangeConfig config = core.config();
    int i = config.indexOf(slot);
    Optional<String> follower = i < 0 ? core.followerNode(slot) : Optional.empty();
    if (i >= 0) {
      directory.sendPeer(config.chain().get(i).node(), to, m);
    } else if (follower.isPresent()) {
      directory.sendPeer(follower.get(), to, m);
    } else {
      directory.send(to, new Peer(m));
    }
  }

  /**
   * A batch the core already accepted did not reach the store. The replica cannot go on with a gap in
   * its sequence: it answers the clients it holds (the outcome is unknown: the writes may have been
   * forwarded and live on in the chain) and stops; its next message restarts it from the store.
   */
  private Behavior<Command> onPersistFailed(PersistFailed f) {
    Reply reply = new Failed(Failure.OUTCOME_UNKNOWN, "the write may or may not have been applied: replica " + id
        + " failed to persist (" + (f.full() ? "store full: " : "") + f.message() + ")");
    if (core != null) {
      for (Responder r : core.abandon()) {
        r.reply(reply);
      }
    }
    getContext().getLog().error("replica {} stops: a persist failed: {}", id, f.message());
    return Behaviors.stopped();
  }

  /** Carries out one output of the core, in the order its contract asks, and flushes after the run. */
  private void carry(Output<Responder> out) {
    carryOut(out);
    if (core != null && core.committed() != commitTimedUpTo) {
      commitTimedUpTo = recordTimes(commitTimedUpTo, core.committed(), false);
    }
    if (!flushPending) {
      flushPending = true;
      getContext().getSelf().tell(Flush.INSTANCE);
    }
  }

  private void carryOut(Output<Responder> out) {
    if (out.leaseWanted()) {
      askForLease();
    }
    if (!out.persist().isEmpty()) {
      persist(List.copyOf(out.persist()), out.persistCommitted());
    }
    if (out.catchUp() != null) {
      sendCatchUp(out.catchUp());
    }
    sendMessages(out);
    for (Output.Reply<Responder> r : out.replies()) {
      r.replyTo().reply(toReply(r.reply()));
    }
    for (Output.Read<Responder> read : out.reads()) {
      read.replyTo().reply(serve(read.op()));
    }
    if (out.ended() != null) {
      directory.reportEnded(id, core.config().epoch(), out.ended().seq(), out.ended().ending());
    }
    if (out.handOver() != null) {
      directory.locals().handOver(id.rangeId(), out.handOver());
    }
    if (out.newerEpochSeen() > core.config().epoch()) {
      Optional<RangeConfig> known = directory.config(id.rangeId()).filter(c -> c.epoch() > core.config().epoch());
      if (known.isPresent()) {
        getContext().getSelf().tell(new ConfigChanged(known.get()));
      } else {
        directory.newerEpochSeen(id.rangeId(), out.newerEpochSeen()); // its arrival notifies us
      }
    }
  }

  private void persist(List<LogEntry> entries, long committed) {
    ActorRef<Command> self = getContext().getSelf();
    store.persist(core.config(), entries, committed).whenComplete((seq, error) -> {
      if (error != null) {
        Throwable cause = unwrap(error);
        self.tell(new PersistFailed(cause instanceof StoreFullException, String.valueOf(cause.getMessage())));
        return;
      }
      persistedUpTo.accumulateAndGet(seq, Math::max);
      if (persistSignalled.compareAndSet(false, true)) {
        self.tell(Persisted.INSTANCE); // one message for every commit of a group
      }
    });
  }

  /** A range's ending for the log. */
  public static String describe(dev.junction.chain.core.Mutation.Ending e) {
    if (e instanceof dev.junction.chain.core.Mutation.Split s) {
      return "a split at '" + dev.junction.store.Keys.printable(s.key()) + "' into ranges " + s.leftId() + " and "
          + s.rightId();
    }
    if (e instanceof dev.junction.chain.core.Mutation.Seal s) {
      return "a seal, to be merged with the next range into range " + s.intoId();
    }
    return "a merge with the range before it into range " + ((dev.junction.chain.core.Mutation.MergeInto) e).intoId();
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }

  private Reply toReply(ClientReply reply) {
    if (reply instanceof ClientReply.Done done) {
      return new WriteDone(done.result());
    }
    if (reply instanceof ClientReply.Observed observed) {
      ReadView.Refused refused = core.view().checkOwn(System.nanoTime());
      return refused == null ? new WriteDone(observed.result()) : new Rejected(refused.reason(), refused.epoch());
    }
    ClientReply.Rejected r = (ClientReply.Rejected) reply;
    return new Rejected(r.reason(), r.epoch());
  }

  /** Serves a read the core let through, with the replica's read view. */
  private Reply serve(ReadOp op) {
    try {
      if (op instanceof ReadOp.Get get) {
        return answer(core.view().get(core.config().epoch(), get.key(), System.nanoTime(), store::get));
      }
      return scan(core.view(), store, core.config(), (ReadOp.Scan) op);
    } catch (InvalidRequestException e) {
      return new Failed(Failure.INVALID, e.getMessage());
    } catch (RuntimeException e) {
      getContext().getLog().error("replica {} failed a read", id, e);
      return new Failed(Failure.INTERNAL, String.valueOf(e.getMessage()));
    }
  }

  /** The reply for what a read view answered. */
  public static Reply answer(ReadView.Outcome outcome) {
    if (outcome instanceof ReadView.Value v) {
      return new Value(v.value());
    }
    if (outcome instanceof ReadView.Refused r) {
      return new Rejected(r.reason(), r.epoch());
    }
    return AtTail.INSTANCE;
  }

  /**
   * A scan page of the tail's store corrected by its read view (committed values only); asks the store
   * again after the last key when the corrections emptied a page that has more after it.
   */
  static Reply scan(ReadView view, ReplicaStore store, RangeConfig config, ReadOp.Scan op) {
    ReadOp.Scan next = op;
    for (int round = 0; round < 64; round++) {
      ScanPage page = store.scan(config, next);
      ReadView.Page corrected = view.overlay(page.entries(), page.more(), next.from(), next.to(), next.limit());
      if (corrected == null) {
        return new Rejected(ClientReply.Reason.CATCHING_UP, config.epoch());
      }
      if (!corrected.entries().isEmpty() || !corrected.more() || page.entries().isEmpty()) {
        return new Entries(corrected.entries(), corrected.more());
      }
      byte[] last = page.entries().get(page.entries().size() - 1).key();
      byte[] after = java.util.Arrays.copyOf(last, last.length + 1); // the next key in order
      next = new ReadOp.Scan(after, op.to(), op.limit());
    }
    return new Rejected(ClientReply.Reason.CATCHING_UP, config.epoch());
  }
}
