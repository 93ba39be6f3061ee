package dev.junction.sharding.cluster;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.sharding.routing.RoutingTable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import dev.junction.chain.serialization.JunctionSerializable;
import dev.junction.sharding.placement.Capacities;
import dev.junction.sharding.placement.KeySamples;
import dev.junction.sharding.placement.LoadBook;
import dev.junction.sharding.placement.Move;
import dev.junction.sharding.placement.MoveBook;
import dev.junction.sharding.placement.NodeSpec;
import dev.junction.sharding.placement.Plan;
import dev.junction.sharding.placement.Planner;
import dev.junction.sharding.placement.RangeStats;
import dev.junction.sharding.placement.ReplicaSize;
import dev.junction.sharding.placement.Requests;
import dev.junction.sharding.placement.SplitScheduler;
import dev.junction.sharding.routing.LoadSnapshot;
import dev.junction.sharding.routing.ChainRepair;
import dev.junction.sharding.routing.LeaseTable;
import dev.junction.sharding.routing.ReplacementPlanner;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import java.util.List;
import java.util.Map;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The controller (a cluster singleton): the only writer of the routing table. Today it creates the first
 * table once {@code min-nodes} nodes are up (ranges from the configured split points, chains of
 * {@code replication-factor} spread round-robin over the nodes in address order), publishes it through
 * Distributed Data with write-majority, places every replica's shard on its node, and keeps waking the
 * replicas so that each runs where its chain says. A controller that starts on another node (the
 * singleton moved) reads the table back from a majority and carries on. It grants the replicas' read
 * leases ({@link LeaseTable}), takes lost nodes out of their chains ({@link ChainRepair}) while it reaches
 * a majority of the members, and moves replicas and heads between up nodes to even them out ({@link
 * Planner} proposes, weighing each range by the nodes' load reports kept in a {@link LoadBook}; {@link
 * MoveBook} carries the moves out step by step, also those asked for by hand and the drains).
 */
public final class Controller extends AbstractBehavior<Controller.Command> {
  /** What the controller receives (local to its node). */
  public sealed interface Command
      permits LeaseRequest, JoinReady, ReplicaBehind, PlanRequest, Drain, NodeStats, LoadRequest, StartMove,
          CancelMove, ApplyPlan, StartSplit, StartMerge, RangeEnded, Loaded, MembersChanged, ReachabilityChanged,
          Published, Placed, PlacedAhead, PlacementSettled, RegionsKnown, Tick, RepairTick {}

  /**
   * A replica asks for its read lease ({@link ReplicaActor.LeaseGranted} answers, or nothing when it is
   * not in its chain in the controller's table or its node is considered lost).
   */
  public record LeaseRequest(
      long rangeId, int slot, long epoch, long requestedAt, ActorRef<ReplicaActor.Command> replyTo)
      implements Command, JunctionSerializable {}

  /**
   * A replica not yet in its chain copied its range (complete up to {@code appliedSeq}) and asks to be
   * added at the tail.
   */
  public record JoinReady(long rangeId, int slot, String node, long appliedSeq)
      implements Command, JunctionSerializable {}

  /**
   * A replica of the range at {@code epoch} lacks committed entries that its predecessor's log no longer
   * holds (a new replica whose copy is too old): it leaves the chain, and a fresh copy replaces it.
   */
  public record ReplicaBehind(long rangeId, int slot, long epoch) implements Command, JunctionSerializable {}


  /** Asks what the planner would do now and which moves are under way ({@link PlanReport} answers). */
  public record PlanRequest(ActorRef<PlanReport> replyTo) implements Command, JunctionSerializable {}

  /**
   * The planner's view now, on routing table {@code tableVersion} (0: no table yet): the moves it would
   * start, those it considered and did not take with the reason, the highest utilization of an up node
   * before and after them and the lower bound, each up node's utilization after them, and the operators
   * under way with the controller's clock at the time ({@code clockNanos}, to age their phases by).
   * {@code rebalancing} is false when the controller only shows plans ({@code rebalance.interval = 0}).
   */
  public record PlanReport(
      long tableVersion,
      boolean rebalancing,
      List<Move> moves,
      List<Plan.Rejected> rejected,
      double before,
      double after,
      double lowerBound,
      java.util.TreeMap<String, Double> utilization,
      List<MoveBook.Operator> operators,
      long clockNanos,
      List<MoveBook.Operator> ended)
      implements JunctionSerializable {}

  /**
   * Starts moving range {@code rangeId}'s replica on {@code from} to {@code to} (a replica move), or, when
   * {@code to} holds a replica of it already and {@code from} is its head, its head (a head move). Answered
   * with the operator, or why it did not start (nothing changed then).
   */
  public record StartMove(long rangeId, String from, String to, ActorRef<MoveStarted> replyTo)
      implements Command, JunctionSerializable {}

  /** What {@link StartMove} or {@link CancelMove} did: {@code refused} is empty when it did it. */
  public record MoveStarted(String refused, java.util.Optional<MoveBook.Operator> operator, long clockNanos)
      implements JunctionSerializable {}

  /**
   * Starts splitting range {@code rangeId} at {@code at} (empty: at the key near the middle of its bytes,
   * as last measured). Answered with the operator, or why it did not start (nothing changed then).
   */
  public record StartSplit(long rangeId, byte[] at, ActorRef<MoveStarted> replyTo)
      implements Command, JunctionSerializable {}

  /**
   * Starts merging range {@code rangeId} with the range after it. Answered with the operator, or why it
   * did not start (nothing changed then).
   */
  public record StartMerge(long rangeId, ActorRef<MoveStarted> replyTo) implements Command, JunctionSerializable {}

  /**
   * From the head of range {@code rangeId} at {@code epoch}: the range ended with {@code ending} (a split,
   * or half of a merge), committed at {@code seq}. Repeated until the routing table no longer names it.
   */
  public record RangeEnded(long rangeId, long epoch, long seq, dev.junction.chain.core.Mutation.Ending ending)
      implements Command, JunctionSerializable {}

  /** Cancels operator {@code id} (its range keeps the chain it has now). */
  public record CancelMove(long id, ActorRef<MoveStarted> replyTo) implements Command, JunctionSerializable {}

  /**
   * Starts the planner's moves now (also when rebalancing is off: a plan applied once); answered with
   * the plan whose moves were started ({@code moves}) and the operators under way.
   */
  public record ApplyPlan(ActorRef<PlanReport> replyTo) implements Command, JunctionSerializable {}

  /**
   * Drains {@code node} (moves every replica it holds to other nodes, a few at a time; no move targets it
   * any more), or stops draining it when {@code cancel}. Answered with where the drain stands; asking
   * again only reports.
   */
  public record Drain(String node, boolean cancel, ActorRef<DrainState> replyTo) implements Command, JunctionSerializable {}

  /**
   * Where a drain stands: {@code refused} says why nothing changed (empty when accepted); {@code draining}
   * whether the node is being drained; {@code replicas} how many replicas the routing table still places
   * on it.
   */
  public record DrainState(String node, String refused, boolean draining, int replicas) implements JunctionSerializable {}

  /**
   * A node's load report ({@link LoadReporter}): what its gateway counted over the last {@code windowNanos},
   * per range and per node served, the sizes of the replicas it measured this time, and request keys it
   * sampled per range (where a busy range would split).
   */
  public record NodeStats(
      String node,
      long windowNanos,
      java.util.TreeMap<Long, LoadSnapshot.Counts> byRange,
      java.util.TreeMap<String, LoadSnapshot.Counts> byNode,
      List<ReplicaSize> sizes,
      java.util.TreeMap<Long, List<byte[]>> keySamples)
      implements Command, JunctionSerializable {}

  /** Asks for the load statistics ({@link LoadView} answers). */
  public record LoadRequest(ActorRef<LoadView> replyTo) implements Command, JunctionSerializable {}

  /**
   * The load statistics on routing table {@code tableVersion} (0: no table yet): every range's and every
   * node's moving averages (half-life {@code halfLifeMillis}) and sizes, and the controller's operators.
   */
  public record LoadView(
      long tableVersion,
      long halfLifeMillis,
      List<LoadBook.RangeLoad> ranges,
      List<LoadBook.NodeLoad> nodes,
      OperatorTally operators)
      implements JunctionSerializable {
    public LoadView(long tableVersion, long halfLifeMillis, List<LoadBook.RangeLoad> ranges, List<LoadBook.NodeLoad> nodes) {
      this(tableVersion, halfLifeMillis, ranges, nodes, OperatorTally.NONE);
    }
  }

  /**
   * The operators under way ({@code underWay}, with the controller's clock {@code clockNanos} to age their
   * phases by), and how many ended since this controller took over, by the phase they ended in ({@code
   * done}, {@code cancelled}, {@code expired}).
   */
  public record OperatorTally(List<MoveBook.Operator> underWay, long clockNanos, java.util.Map<String, Long> ended)
      implements JunctionSerializable {
    public static final OperatorTally NONE = new OperatorTally(List.of(), 0, java.util.Map.of());

    public OperatorTally {
      underWay = List.copyOf(underWay);
      ended = java.util.Map.copyOf(ended);
    }

    /** The operators under way by kind ({@link Move#kind}). */
    public java.util.Map<String, Integer> running() {
      java.util.Map<String, Integer> byKind = new java.util.TreeMap<>();
      underWay.forEach(op -> byKind.merge(Move.kind(op.move()), 1, Integer::sum));
      return byKind;
    }
  }

  private record Loaded(Replicator.GetResponse<LWWRegister<PublishedTable>> response) implements Command {}

  private record MembersChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {}

  private record Published(Replicator.UpdateResponse<LWWRegister<PublishedTable>> response, RoutingTable table)
      implements Command {}

  private record Placed(long version, ShardPlacements.Batch<Address> batch, long madeAt, Throwable failure)
      implements Command {}

  /** Sharding confirmed (or failed to take) the locations of replicas about to be called first ({@link #placedAhead}). */
  private record PlacedAhead(Map<String, Address> locations, Throwable failure) implements Command {}

  /** Locations told ahead have had time to reach sharding's coordinator: the replicas may be called now. */
  private enum PlacementSettled implements Command {
    INSTANCE
  }

  /** The nodes whose shard region sharding's coordinator knows ({@link ReplicaSharding#registeredRegions}). */
  private record RegionsKnown(Set<String> nodes, Throwable failure) implements Command {}

  /** Where sharding was told a replica runs, and when it confirmed that ({@link #IN_FLIGHT} until it has). */
  private record ToldAhead(Address node, long confirmedAt) {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** Look again at lost tails: one lease may have run out. */
  private enum RepairTick implements Command {
    INSTANCE
  }

  /**
   * How many versions a controller that takes over skips: more than an earlier controller can publish
   * unconfirmed before it is gone (one at a time, each waiting up to ddata-timeout, and a controller cut
   * off from the majority is downed within seconds).
   */
  static final long TAKEOVER_VERSION_SKIP = 1000;

  /** Added to every lease on the controller's side, against drift between the nodes' clocks. */
  static final Duration LEASE_MARGIN = Duration.ofMillis(100);

  private final ClusterSettings settings;
  private final ReplicaSharding replicas;
  private final ReplicatorMessageAdapter<Command, LWWRegister<PublishedTable>> replicator;
  private final SelfUniqueAddress self;
  private final TimerScheduler<Command> timers;
  private final DownedNodes downed;
  private final LeaseTable leases;
  private RoutingTable table;
  private boolean loading;
  private boolean publishing;
  /** The table being published, if any (see {@link #onLeaseRequest}). */
  private RoutingTable inFlight;
  private long placedVersion;
  /** The replica locations told to Cluster Sharding: after each table only those that changed are told again. */
  private final ShardPlacements<Address> placements = new ShardPlacements<>(PLACEMENTS_REFRESH.toNanos());
  /** How often every replica location is told again, not only those that changed. */
  static final Duration PLACEMENTS_REFRESH = Duration.ofSeconds(30);
  private List<Long> waitingForLease = List.of();
  /** Copies of ranges that run short of replicas. */
  private final ReplacementPlanner copies;
  /** Nodes the reachability events said are unreachable (and not reachable again since). */
  private final Set<String> unreachable = new HashSet<>();
  /** Rebalancing: the planner, the moves under way, and the replicas those are taking out of chains. */
  private final Planner planner;
  private final MoveBook moves;
  /** Nodes being drained (kept by this controller only: one that takes over starts with none). */
  private final Set<String> draining = new HashSet<>();
  private Set<ReplicaId> leaving = Set.of();
  /** The operators and drains as last published ({@link #workSignature}). */
  private List<MoveBook.Work> publishedWork = List.of();
  /** When the last table was published (System.nanoTime). */
  private long publishedAt;
  /** How long operators that only ended or wait for a lease wait for the next table before one of their own. */
  static final Duration WORK_PUBLISH_DELAY = Duration.ofSeconds(2);
  /**
   * Replicas about to be called for the first time, by entity id: the first table's, a move's or a
   * repair's copy, the ranges a split or a merge makes. Each is called only {@link #PLACEMENT_SETTLE} after sharding confirmed where
   * it runs: a replica called before sharding's coordinator knows is started where the caller is (the
   * controller's node, or the gateway that has the new table first) and moved to its node only at
   * sharding's next rebalance ({@code rebalance-interval}, 2 s), while a new range's writes wait for it or
   * a copy waits to begin. Entries are dropped {@link #TOLD_AHEAD_KEPT} after; the table's own placement
   * ({@link #place}) covers those replicas by then.
   */
  private final Map<String, ToldAhead> toldAhead = new HashMap<>();
  /**
   * The nodes whose shard region sharding's coordinator knew when last asked: a replica is placed ahead on
   * one of those only (the coordinator starts a shard meant for a node whose region has not registered
   * yet, a node just up, where the caller is).
   */
  private Set<String> registeredRegions = Set.of();
  private boolean askingRegions;
  private static final long IN_FLIGHT = Long.MIN_VALUE;
  /**
   * From a placement's confirmation (a local write: the controller and sharding's coordinator are both
   * singletons of the oldest node) until the coordinator's allocation strategy has it: the replicator
   * notifies its subscribers every {@code distributed-data.notify-subscribers-interval} (100 ms).
   */
  static final Duration PLACEMENT_SETTLE = Duration.ofMillis(300);
  static final Duration TOLD_AHEAD_KEPT = Duration.ofMinutes(5);
  /** The highest range id a table confirmed by a majority handed out: only those go to a head. */
  private long confirmedLastRangeId;
  private long plannedAt;
  /** The last plan had moves: plan again at the next tick rather than after the interval. */
  private boolean unfinished;
  /** The operators that ended last, newest last (at most {@link #ENDED_KEPT}), for junctionctl. */
  private final java.util.ArrayDeque<MoveBook.Operator> ended = new java.util.ArrayDeque<>();
  static final int ENDED_KEPT = 32;
  /** How many operators ended since this controller started, by the phase they ended in. */
  private final java.util.Map<String, Long> endedCounts = new java.util.TreeMap<>();
  /** The nodes' load reports, as moving averages (kept by this controller only: one that takes over starts afresh). */
  private final LoadBook load;
  /** The request keys the gateways sampled, and the splits the statistics call for. */
  private final KeySamples samples = new KeySamples(KEY_SAMPLES_KEPT);
  private final SplitScheduler splits;
  static final int KEY_SAMPLES_KEPT = 512;


  private Controller(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ReplicatorMessageAdapter<Command, LWWRegister<PublishedTable>> replicator,
      ClusterSettings settings,
      ReplicaSharding replicas,
      DownedNodes downed) {
    super(context);
    this.downed = downed;
    this.settings = settings;
    this.replicas = replicas;
    this.replicator = replicator;
    this.self = DistributedData.get(context.getSystem()).selfUniqueAddress();
    this.timers = timers;
    this.leases = new LeaseTable(settings.readLease(), LEASE_MARGIN, System.nanoTime());
    this.copies = new ReplacementPlanner(settings.replaceAfter());
    this.planner = new Planner(settings.rebalance().planner());
    this.moves = new MoveBook(settings.rebalance().copyTimeout(), settings.rebalance().stepTimeout());
    this.plannedAt = System.nanoTime();
    this.load = new LoadBook(settings.stats().halfLife(), settings.stats().expireAfter());
    this.splits = new SplitScheduler(settings.rebalance().split());
    Cluster.get(context.getSystem())
        .subscriptions()
        .tell(
            Subscribe.create(
                context.messageAdapter(ClusterEvent.MemberEvent.class, MembersChanged::new),
                ClusterEvent.MemberEvent.class));
    Cluster.get(context.getSystem())
        .subscriptions()
        .tell(
            Subscribe.create(
                context.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
                ClusterEvent.ReachabilityEvent.class));
    timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.wakeInterval());
    load();
  }

  public static Behavior<Command> create(ClusterSettings settings, ReplicaSharding replicas, DownedNodes downed) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers ->
                    DistributedData.<Command, LWWRegister<PublishedTable>>withReplicatorMessageAdapter(
                        replicator -> new Controller(ctx, timers, replicator, settings, replicas, downed))));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Loaded.class, this::onLoaded)
        .onMessage(MembersChanged.class, this::onMembersChanged)
        .onMessage(ReachabilityChanged.class, this::onReachabilityChanged)
        .onMessage(Published.class, this::onPublished)
        .onMessage(Placed.class, this::onPlaced)
        .onMessage(PlacedAhead.class, this::onPlacedAhead)
        .onMessage(RegionsKnown.class, this::onRegionsKnown)
        .onMessageEquals(PlacementSettled.INSTANCE, this::onPlacementSettled)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .onMessageEquals(RepairTick.INSTANCE, this::repair)
        .onMessage(LeaseRequest.class, this::onLeaseRequest)
        .onMessage(JoinReady.class, this::onJoinReady)
        .onMessage(ReplicaBehind.class, this::onReplicaBehind)
        .onMessage(PlanRequest.class, this::onPlanRequest)
        .onMessage(Drain.class, this::onDrain)
        .onMessage(NodeStats.class, this::onNodeStats)
        .onMessage(LoadRequest.class, this::onLoadRequest)
        .onMessage(StartMove.class, this::onStartMove)
        .onMessage(CancelMove.class, this::onCancelMove)
        .onMessage(ApplyPlan.class, this::onApplyPlan)
        .onMessage(StartSplit.class, this::onStartSplit)
        .onMessage(StartMerge.class, this::onStartMerge)
        .onMessage(RangeEnded.class, this::onRangeEnded)
        .build();
  }

  private void load() {
    loading = true;
    replicator.askGet(
        replyTo ->
            new Replicator.Get<>(
                TableKeeper.KEY, new Replicator.ReadMajority(settings.ddataTimeout()), replyTo),
        Loaded::new);
  }

  private Behavior<Command> onLoaded(Loaded l) {
    loading = false;
    if (l.response() instanceof Replicator.GetSuccess<LWWRegister<PublishedTable>> ok) {
      PublishedTable published = ok.get(TableKeeper.KEY).getValue();
      RoutingTable loaded = published.toTable();
      table = loaded;
      confirmedLastRangeId = loaded.lastRangeId();
      getContext().getLog().info("controller took over routing table version {}", loaded.version());
      resume(published);
      // An earlier controller may have published newer versions that reached only a minority (so the
      // majority read missed them): republish past any version it can have reached, so that no later
      // table of this controller shares a version with one of those and every gateway converges.
      publish(RoutingTable.of(loaded.version() + TAKEOVER_VERSION_SKIP, loaded.ranges(), loaded.lastRangeId()));
    } else if (l.response() instanceof Replicator.NotFound<LWWRegister<PublishedTable>>) {
      createIfEnoughNodes();
    }
    // On a failure (no majority reachable yet) the next tick tries again.
    return this;
  }

  /**
   * Takes over the operators and drains an earlier controller published with the table: each operator
   * goes on from the phase it had (the table shows how far it really got), drains of nodes that are no
   * longer up members are dropped.
   */
  private void resume(PublishedTable published) {
    long now = System.nanoTime();
    moves.restore(published.operators(), now);
    List<String> up = upNodes();
    for (String node : published.draining()) {
      if (up.contains(node)) {
        draining.add(node);
      }
    }
    if (!published.operators().isEmpty() || !draining.isEmpty()) {
      getContext().getLog().info("controller resumes operators {} and drains of {}", published.operators().stream()
          .map(op -> op.id() + " (" + op.phase() + ": " + op.move() + ")").toList(), draining);
    }
  }

  /** The operators' ids and phases and the nodes drained: what a publication records of the controller's work. */
  private List<MoveBook.Work> workSignature() {
    List<MoveBook.Work> sig = new java.util.ArrayList<>(moves.signature());
    draining.stream().sorted().forEach(n -> sig.add(new MoveBook.Drain(n)));
    return sig;
  }

  /**
   * The event itself says who became (un)reachable: the cluster's state object may learn it a moment
   * later than this subscriber, and a repair must not wait for the next tick.
   */
  private Behavior<Command> onReachabilityChanged(ReachabilityChanged r) {
    String address = r.event().member().address().toString();
    if (r.event() instanceof ClusterEvent.UnreachableMember) {
      unreachable.add(address);
    } else {
      unreachable.remove(address);
    }
    return repair();
  }

  private Behavior<Command> onMembersChanged(MembersChanged m) {
    ClusterEvent.MemberEvent e = m.event();
    String address = e.member().address().toString();
    if (e instanceof ClusterEvent.MemberUp || e instanceof ClusterEvent.MemberJoined
        || e instanceof ClusterEvent.MemberRemoved) {
      unreachable.remove(address); // a new incarnation at the same address, or gone (see lostNodes)
    }
    if ((e instanceof ClusterEvent.MemberUp || e instanceof ClusterEvent.MemberRemoved) && draining.remove(address)) {
      // Drained and gone, or back as a new incarnation: an empty node the planner fills again.
      getContext().getLog().info("node {} is no longer drained: it {}", address,
          e instanceof ClusterEvent.MemberUp ? "is up again" : "left the cluster");
    }
    if (e instanceof ClusterEvent.MemberUp) {
      planAtNextTick(); // a new node (or one back) should get its share now, not after an idle interval
    }
    if (table == null && !loading) {
      createIfEnoughNodes();
    }
    return repair();
  }

  /**
   * Removes lost nodes (unreachable or downed) from the chains they serve, at the next epoch
   * ({@link ChainRepair}). A lost replica gets no more lease renewals; it is dropped once the controller
   * knows its lease ran out (every replica serves reads), and a timer brings the controller back then.
   */
  private Behavior<Command> repair() {
    return table == null ? this : repair(lostNodes());
  }

  private Behavior<Command> repair(Set<String> lost) {
    Set<ReplicaId> lostReplicas = ChainRepair.lostReplicas(table, lost);
    revoke(lostReplicas);
    if (lost.isEmpty() || publishing) {
      return this;
    }
    if (!seesMajority(lost)) {
      return this;
    }
    long now = System.nanoTime();
    ChainRepair.withoutLostNodes(table, lost, (range, slot) -> leases.released(range, slot, now))
        .ifPresent(
            plan -> {
              if (!plan.waiting().equals(waitingForLease)) {
                waitingForLease = plan.waiting();
                if (!waitingForLease.isEmpty()) {
                  getContext().getLog().warn(
                      "ranges {} have replicas on lost nodes {}; they leave their chains once their read leases ran out",
                      waitingForLease, lost);
                }
              }
              long wake = Long.MAX_VALUE;
              for (ReplicaId r : lostReplicas) {
                if (plan.waiting().contains(r.rangeId()) && !leases.released(r.rangeId(), r.slot(), now)) {
                  long at = leases.releaseTime(r.rangeId(), r.slot(), now) - now;
                  wake = Math.min(wake, Math.max(at, 0));
                }
              }
              if (wake != Long.MAX_VALUE) {
                timers.startSingleTimer(RepairTick.INSTANCE, RepairTick.INSTANCE, Duration.ofNanos(wake + 1_000_000));
              }
              if (!plan.changed().isEmpty()) {
                getContext().getLog().warn(
                    "nodes {} lost: ranges {} continue without them at the next epoch", lost, plan.changed());
                publish(plan.table());
              }
            });
    return this;
  }

  /**
   * Whether this controller reaches a majority of the members that are not down (itself included). One
   * that does not is more likely cut off or starved itself (a JVM starting on a busy machine, a long
   * pause) than the only survivor: it must not take every other node out of every chain. Once the Split
   * Brain Resolver downs the lost side, those members no longer count and the repair goes ahead.
   */
  private boolean seesMajority(Set<String> lost) {
    int members = 0;
    int reachable = 0;
    for (org.apache.pekko.cluster.Member m : Cluster.get(getContext().getSystem()).state().getMembers()) {
      if (m.status() == MemberStatus.down() || m.status() == MemberStatus.removed()) {
        continue;
      }
      members++;
      if (!lost.contains(m.address().toString())) {
        reachable++;
      }
    }
    if (2 * reachable > members) {
      minorityWarned = false;
      return true;
    }
    if (!minorityWarned) {
      minorityWarned = true;
      getContext().getLog().warn("the controller reaches {} of {} members (lost: {}): it repairs no chain until it "
          + "reaches a majority or the lost nodes are downed", reachable, members, lost);
    }
    return false;
  }

  private boolean minorityWarned;

  /** No more read leases for the replicas of lost nodes and those that moves take out of their chains. */
  private void revoke(Set<ReplicaId> lostReplicas) {
    Set<ReplicaId> all = new HashSet<>(lostReplicas);
    all.addAll(leaving);
    leases.revokeOnly(all);
  }

  private Behavior<Command> onLeaseRequest(LeaseRequest r) {
    if (table == null) {
      return this;
    }
    RangeConfig range = table.range(r.rangeId()).orElse(null);
    // A table being published may already be in effect somewhere: grant only to a member of both.
    if (inFlight != null && inFlight.range(r.rangeId()).isEmpty()) {
      return this;
    }
    RangeConfig publishing = inFlight == null ? null : inFlight.range(r.rangeId()).get();
    leases
        .grant(range, publishing, r.slot(), System.nanoTime())
        .ifPresent(d -> r.replyTo().tell(new ReplicaActor.LeaseGranted(r.requestedAt(), d)));
    return this;
  }

  /**
   * Nodes the failure detector lost (unreachable), that were downed, or that the table names but that
   * were downed and removed from the cluster (possibly before this controller started: this node keeps
   * track, {@link DownedNodes}). A node that left gracefully is not lost: its chains wait for it (a whole
   * cluster being stopped must not shrink its chains; draining a node moves its replicas first, which
   * comes with rebalancing); nor is a table node this node never saw (a cluster starting again).
   */
  private Set<String> lostNodes() {
    Set<String> lost = new HashSet<>();
    Set<String> members = new HashSet<>();
    ClusterEvent.CurrentClusterState state = Cluster.get(getContext().getSystem()).state();
    state.getUnreachable().forEach(m -> lost.add(m.address().toString()));
    lost.addAll(unreachable);
    state.getMembers().forEach(m -> {
      members.add(m.address().toString());
      if (m.status() == MemberStatus.down()) {
        lost.add(m.address().toString());
      }
    });
    if (table != null) {
      for (RangeConfig range : table.ranges()) {
        for (Replica r : range.chain()) {
          if (!members.contains(r.node()) && downed.contains(r.node())) {
            lost.add(r.node());
          }
        }
      }
    }
    return lost;
  }

  private void createIfEnoughNodes() {
    if (table != null || publishing) {
      return;
    }
    List<String> up = upNodes();
    if (up.size() < settings.minNodes()) {
      getContext().getLog().info("controller waits for {} nodes ({} up)", settings.minNodes(), up.size());
      return;
    }
    RoutingTable first = RoutingTable.initial(settings.splitPoints(), up, settings.replicationFactor());
    if (!placedAhead(locations(first), System.nanoTime())) {
      return; // the first gateways' calls must find every replica on its node (see toldAhead)
    }
    publish(first);
  }

  private List<String> upNodes() {
    List<String> nodes = new java.util.ArrayList<>();
    Cluster.get(getContext().getSystem())
        .state()
        .getMembers()
        .forEach(
            m -> {
              if (m.status() == MemberStatus.up()) {
                nodes.add(m.address().toString());
              }
            });
    nodes.sort(String::compareTo);
    return nodes;
  }

  private void publish(RoutingTable next) {
    publishing = true;
    publishedAt = System.nanoTime();
    inFlight = next;
    List<String> drained = draining.stream().sorted().toList();
    PublishedTable value = PublishedTable.of(next, moves.operators(), drained);
    publishedWork = workSignature();
    LWWRegister.Clock<PublishedTable> byVersion = (now, t) -> t.version();
    replicator.askUpdate(
        replyTo ->
            new Replicator.Update<>(
                TableKeeper.KEY,
                LWWRegister.create(self, value, byVersion),
                new Replicator.WriteMajority(settings.ddataTimeout()),
                replyTo,
                current -> current.withValue(self, value, byVersion)),
        response -> new Published(response, next));
  }

  /**
   * A publish that a majority did not confirm in time (or that the durable store refused) is still in
   * this node's replica and spreads by gossip: it may be in effect anywhere, so the controller carries on
   * from it. Otherwise a lease could be granted to a tail that the unconfirmed table already replaced, and
   * a later table could reuse its version.
   */
  private Behavior<Command> onPublished(Published p) {
    publishing = false;
    inFlight = null;
    Object response = p.response();
    if (response instanceof Replicator.UpdateSuccess<?>) {
      table = p.table();
      confirmedLastRangeId = Math.max(confirmedLastRangeId, table.lastRangeId());
      getContext().getLog().info("controller published routing table version {}: {}", table.version(), table);
      announce(table.version());
      place();
    } else if (response instanceof Replicator.UpdateTimeout<?> || response instanceof Replicator.StoreFailure<?>) {
      table = p.table();
      getContext().getLog().warn(
          "routing table version {} is not confirmed by a majority yet ({}); it is in effect here and spreads: "
              + "carrying on from it", table.version(), response);
      place();
    } else {
      getContext().getLog().warn("publishing routing table version {} failed: {}; will retry",
          p.table().version(), response);
    }
    return this;
  }

  /**
   * Tells every other up node's {@link TableKeeper} that a majority holds table {@code version}: a node
   * outside the write's majority reads it at once rather than by gossip, seconds later. At a split its
   * replicas of the new ranges then start with the others' (the hot-range benchmark's split paused the
   * range ~250 ms longer while the node left out learned the table from its chains' first messages).
   */
  private void announce(long version) {
    if (!settings.announceTables()) {
      return;
    }
    String self = Cluster.get(getContext().getSystem()).selfMember().address().toString();
    org.apache.pekko.actor.typed.ActorRefResolver resolver =
        org.apache.pekko.actor.typed.ActorRefResolver.get(getContext().getSystem());
    TableKeeper.Announced announced = new TableKeeper.Announced(version);
    for (String node : upNodes()) {
      if (!node.equals(self)) {
        resolver.<TableKeeper.Command>resolveActorRef(node + TableKeeper.PATH).tell(announced);
      }
    }
  }

  /**
   * Tells sharding where every replica lives (the locations that changed since it was last told, see
   * {@link ShardPlacements}), then wakes them.
   */
  private void place() {
    long version = table.version();
    long now = System.nanoTime();
    ShardPlacements.Batch<Address> batch = placements.toTell(locations(table), now);
    java.util.concurrent.CompletionStage<Done> told = batch.locations().isEmpty()
        ? java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance())
        : replicas.allocation().setShardLocations(batch.locations());
    getContext().pipeToSelf(told, (Done done, Throwable failure) -> new Placed(version, batch, now, failure));
  }

  /** Where every replica of {@code t} runs, by entity id. */
  private static Map<String, Address> locations(RoutingTable t) {
    Map<String, Address> locations = new HashMap<>();
    for (RangeConfig range : t.ranges()) {
      for (Replica r : range.chain()) {
        locations.put(range.replicaId(r.slot()).entityId(), AddressFromURIString.parse(r.node()));
      }
    }
    return locations;
  }

  private Behavior<Command> onPlaced(Placed p) {
    if (p.failure() != null) {
      getContext().getLog().warn("placing replicas failed: {}; will retry", p.failure().toString());
      placements.forget();
      return this;
    }
    placements.told(p.batch(), p.madeAt());
    placedVersion = Math.max(placedVersion, p.version());
    wakeAll();
    if (!moves.operators().isEmpty()) {
      rebalance(lostNodes()); // operators go on from the table just placed, not a tick later
    }
    return this;
  }

  private Behavior<Command> onTick() {
    if (table == null) {
      if (!loading && !publishing) {
        load();
      }
    } else if (placedVersion < table.version()) {
      place();
    } else {
      wakeAll();
      Set<String> lost = lostNodes();
      repair(lost);
      replaceMissing(lost);
      rebalance(lost);
    }
    return this;
  }

  /**
   * Advances the moves under way ({@link MoveBook}: copies asked for, one table with every chain change
   * they want, leases withheld from the replicas they take out), and every {@code rebalance.interval}
   * asks the {@link Planner} for new ones. Only moves between up nodes are started here: replicas on lost
   * nodes are the repair's and the replacement's.
   */
  private void rebalance(Set<String> lost) {
    if (publishing) {
      return;
    }
    if (!settings.rebalance().enabled() && moves.operators().isEmpty()) {
      if (!workSignature().equals(publishedWork)) {
        publish(table.next()); // the last operator ended: a controller that takes over must not resume it
      }
      return; // with rebalancing off, only moves asked for (junctionctl move, rebalance --apply) run
    }
    long now = System.nanoTime();
    List<String> up = upNodes(lost);
    for (MoveBook.Operator op : moves.operators()) {
      if (op.phase() == MoveBook.Phase.COPYING && op.move() instanceof Move.ReplicaMove m && !up.contains(m.to())) {
        moves.cancel(op.id());
        getContext().getLog().warn("move {} of range {} cancelled: {} is no longer up", op.id(), op.rangeId(), m.to());
      }
    }
    MoveBook.Step step = moves.step(table, (range, slot) -> leases.released(range, slot, now), now);
    for (MoveBook.Operator op : step.ended()) {
      getContext().getLog().info("operator {} of range {} ended {}: {}", op.id(), op.rangeId(), op.phase(), op.move());
      remember(op);
    }
    leaving = step.leaving();
    revoke(ChainRepair.lostReplicas(table, lost));
    toldAhead.values().removeIf(t -> t.confirmedAt() != IN_FLIGHT && now - t.confirmedAt() > TOLD_AHEAD_KEPT.toNanos());
    for (MoveBook.Seal seal : step.seals()) {
      Map<String, Address> created = new HashMap<>();
      seal.createdReplicas(table).forEach((entity, node) -> created.put(entity, AddressFromURIString.parse(node)));
      if (!placedAhead(created, now)) {
        continue; // sharding learns where the new ranges' replicas run first
      }
      if (seal.newId() > confirmedLastRangeId) {
        continue; // the ids are handed out only once a majority holds the table that did
      }
      // The new ranges' replicas start now, where they were placed, and wait for their configurations: each
      // then starts serving the moment the ending's table reaches its node, instead of sharding allocating
      // its shard only when the first call comes (measured: up to 170 ms after the table, in a hot range).
      for (String entity : created.keySet()) {
        replicas.replica(ReplicaId.parse(entity)).tell(ReplicaActor.Wake.INSTANCE);
      }
      replicas.replica(seal.range().replicaId(seal.range().head().slot()))
          .tell(new ReplicaActor.End(seal.range().epoch(), seal.ending()));
    }
    for (MoveBook.Copy c : step.copies()) {
      if (c.place()) {
        getContext().getLog().info("range {}: copying it to {} as slot {} for a move", c.range().rangeId(), c.node(), c.slot());
      }
      if (placedAhead(Map.of(c.range().replicaId(c.slot()).entityId(), AddressFromURIString.parse(c.node())), now)) {
        askCopy(c.range(), c.slot(), c.node());
      }
    }
    if (step.table().isPresent()) {
      publish(step.table().get());
      return;
    }
    List<MoveBook.Work> work = workSignature();
    if (!work.equals(publishedWork)
        && (MoveBook.urgent(publishedWork, work) || now - publishedAt >= WORK_PUBLISH_DELAY.toNanos())) {
      // Operators started or moved on (a controller that takes over resumes them); those that only ended
      // or wait for a lease wait a little for the next table, which a move's next step brings soon.
      publish(table.next());
      return;
    }
    if (!settings.rebalance().enabled()) {
      return;
    }
    startSplits(up.size(), now); // every tick: a busy range should not wait for the next plan
    if (now - plannedAt < settings.rebalance().interval().toNanos() && !unfinished) {
      return;
    }
    plannedAt = now;
    // A plan with moves (started or held back by the per-node limit), or moves still under way, is followed
    // by another at the next tick, so that a new node fills as fast as the limits allow (a plan made while
    // its moves run has nothing to add: they fill the per-node limit); an idle one waits for the interval.
    unfinished = !startPlan(up, now).plan().moves().isEmpty() || !moves.operators().isEmpty();
  }

  /**
   * True once sharding confirmed every one of {@code locations} (entity id → node) at least {@link
   * #PLACEMENT_SETTLE} ago; otherwise tells it those it was not told yet (or told another node for) and
   * answers false. See {@link #toldAhead}.
   */
  private boolean placedAhead(Map<String, Address> locations, long now) {
    Map<String, Address> missing = new HashMap<>();
    boolean settled = true;
    for (Address node : locations.values()) {
      if (!registeredRegions.contains(node.toString())) {
        askRegions();
        settled = false;
        break;
      }
    }
    for (Map.Entry<String, Address> e : locations.entrySet()) {
      ToldAhead t = toldAhead.get(e.getKey());
      if (t == null || !t.node().equals(e.getValue())) {
        missing.put(e.getKey(), e.getValue());
        settled = false;
      } else if (t.confirmedAt() == IN_FLIGHT || now - t.confirmedAt() < PLACEMENT_SETTLE.toNanos()) {
        settled = false;
      }
    }
    if (!missing.isEmpty()) {
      missing.forEach((entity, node) -> toldAhead.put(entity, new ToldAhead(node, IN_FLIGHT)));
      getContext().pipeToSelf(replicas.allocation().setShardLocations(missing),
          (Done done, Throwable failure) -> new PlacedAhead(missing, failure));
    }
    return settled;
  }

  private void askRegions() {
    if (askingRegions) {
      return;
    }
    askingRegions = true;
    getContext().pipeToSelf(replicas.registeredRegions(getContext().getSystem(), settings.ddataTimeout()),
        (Set<String> nodes, Throwable failure) -> new RegionsKnown(nodes, failure));
  }

  private Behavior<Command> onRegionsKnown(RegionsKnown r) {
    askingRegions = false;
    if (r.failure() != null) {
      getContext().getLog().debug("sharding's regions did not come: {}; asked again when needed", r.failure().toString());
      return this;
    }
    boolean more = !registeredRegions.containsAll(r.nodes());
    registeredRegions = Set.copyOf(r.nodes());
    // Go on at once when a region appeared; otherwise the next tick asks again (no loop of asks).
    return more ? onPlacementSettled() : this;
  }

  private Behavior<Command> onPlacedAhead(PlacedAhead p) {
    long now = System.nanoTime();
    for (Map.Entry<String, Address> e : p.locations().entrySet()) {
      ToldAhead inFlight = new ToldAhead(e.getValue(), IN_FLIGHT);
      if (p.failure() == null) {
        toldAhead.replace(e.getKey(), inFlight, new ToldAhead(e.getValue(), now));
      } else {
        toldAhead.remove(e.getKey(), inFlight); // told again at the next step
      }
    }
    if (p.failure() != null) {
      getContext().getLog().warn("telling sharding where {} new replica(s) run failed: {}; will retry",
          p.locations().size(), p.failure().toString());
      return this;
    }
    timers.startSingleTimer(PlacementSettled.INSTANCE, PlacementSettled.INSTANCE, PLACEMENT_SETTLE);
    return this;
  }

  /** The copies and the heads that waited for their placement go on now, not at the next tick. */
  private Behavior<Command> onPlacementSettled() {
    if (table == null && !loading && !publishing) {
      load(); // the first table waited for its placement (createIfEnoughNodes)
    } else if (table != null && placedVersion >= table.version()) {
      Set<String> lost = lostNodes();
      replaceMissing(lost);
      rebalance(lost);
    }
    return this;
  }

  /** Makes the next tick plan, however recently the last plan was made. */
  private void planAtNextTick() {
    plannedAt = System.nanoTime() - settings.rebalance().interval().toNanos();
  }

  /**
   * Starts the splits the statistics call for ({@link SplitScheduler}): ranges too large or too busy, the
   * head requests shared by {@code nodes} (the up nodes that are not lost).
   */
  private void startSplits(int nodes, long now) {
    for (Move.SplitRange s : splits.propose(table, load.ranges(table, now), load.recentHeadRequestsPerSecond(table, now),
        samples.splitKeys(table), moves.operators(), nodes, now)) {
      moves.start(s, table, now).ifPresent(op -> getContext().getLog().info(
          "split {} of range {} starts: {}", op.id(), op.rangeId(), op.move()));
    }
  }

  /** Plans with the {@code up} nodes and starts the moves that may start; returns the plan and those moves. */
  private PlanAndStarted startPlan(List<String> up, long now) {
    Plan plan = plan(up);
    List<Move> started = new java.util.ArrayList<>();
    for (Move m : plan.moves()) {
      if (!startable(m, up)) {
        continue;
      }
      moves.start(m, table, now).ifPresent(op -> {
        started.add(m);
        getContext().getLog().info(
            "move {} of range {} starts: {} (utilization {} -> {}, lower bound {})", op.id(), op.rangeId(), m,
            String.format("%.3f", plan.before()), String.format("%.3f", plan.after()),
            String.format("%.3f", plan.lowerBound()));
      });
    }
    return new PlanAndStarted(plan, started);
  }

  private record PlanAndStarted(Plan plan, List<Move> started) {}

  private void remember(MoveBook.Operator op) {
    endedCounts.merge(op.phase().name().toLowerCase(java.util.Locale.ROOT), 1L, Long::sum);
    ended.addLast(op);
    while (ended.size() > ENDED_KEPT) {
      ended.removeFirst();
    }
  }

  /** The up members, in address order, without {@code lost}. */
  private List<String> upNodes(Set<String> lost) {
    List<String> up = new java.util.ArrayList<>(upNodes());
    up.removeAll(lost);
    return up;
  }

  private Behavior<Command> onStartMove(StartMove r) {
    r.replyTo().tell(startAsked("move", r.rangeId(), "the move does not fit range " + r.rangeId() + "'s chain now",
        () -> Requests.move(table, r.rangeId(), r.from(), r.to(), upNodes(lostNodes()), draining, publishing,
            moves.operators())));
    return this;
  }

  /**
   * Starts an operator asked for by hand, as {@code decide} (called only when there is a table) decides;
   * {@code cannot} is the refusal when the operator book does not take it after all.
   */
  private MoveStarted startAsked(String what, long rangeId, String cannot,
      java.util.function.Supplier<Requests.Decision> decide) {
    long now = System.nanoTime();
    if (table == null) {
      return new MoveStarted("the cluster has no routing table yet", java.util.Optional.empty(), now);
    }
    Requests.Decision d = decide.get();
    if (d.move().isEmpty()) {
      return new MoveStarted(d.refused(), java.util.Optional.empty(), now);
    }
    java.util.Optional<MoveBook.Operator> op = moves.start(d.move().get(), table, now);
    if (op.isEmpty()) {
      return new MoveStarted(cannot, op, now);
    }
    getContext().getLog().info("{} {} of range {} starts, asked for: {}", what, op.get().id(), rangeId, op.get().move());
    return new MoveStarted("", op, now);
  }

  private Behavior<Command> onStartSplit(StartSplit r) {
    r.replyTo().tell(startAsked("split", r.rangeId(), "range " + r.rangeId() + " cannot be split there now", () -> {
      byte[] middle = load.ranges(table, System.nanoTime()).stream().filter(l -> l.rangeId() == r.rangeId())
          .findFirst().map(LoadBook.RangeLoad::middleKey).orElse(new byte[0]);
      return Requests.split(table, r.rangeId(), r.at(), middle, moves.operators());
    }));
    return this;
  }

  /**
   * A head reports its range ended (committed). A split: the two new ranges are published (whether or not
   * this controller asked for it: a controller that took over learns of its predecessor's splits this
   * way). The left half of a merge: the merge goes on with the right range. The right half: the merged
   * range is published. A report for a range the table no longer holds, or while another table is being
   * published, is dropped: the head repeats it.
   */
  private Behavior<Command> onRangeEnded(RangeEnded d) {
    if (table == null || publishing || table.range(d.rangeId()).isEmpty()) {
      return this;
    }
    long now = System.nanoTime();
    try {
      if (d.ending() instanceof dev.junction.chain.core.Mutation.Split sp) {
        RoutingTable next = table.withSplit(d.rangeId(), sp.key(), sp.leftId(), sp.rightId());
        getContext().getLog().info("range {} split at '{}' (seq {}) into ranges {} and {}", d.rangeId(),
            dev.junction.store.Keys.printable(sp.key()), d.seq(), sp.leftId(), sp.rightId());
        publish(next);
      } else if (d.ending() instanceof dev.junction.chain.core.Mutation.Seal seal) {
        if (moves.leftSealed(table, d.rangeId(), seal.intoId(), d.seq(), now)) {
          getContext().getLog().info("range {} sealed at seq {} to be merged into range {}", d.rangeId(), d.seq(),
              seal.intoId());
          rebalance(lostNodes()); // ask the right range at once
        } else {
          getContext().getLog().error("range {} was sealed for a merge into range {} that the table cannot take",
              d.rangeId(), seal.intoId());
        }
      } else {
        dev.junction.chain.core.Mutation.MergeInto mi = (dev.junction.chain.core.Mutation.MergeInto) d.ending();
        RangeConfig left = table.before(d.rangeId()).orElse(null);
        if (left == null || !java.util.Arrays.equals(left.start(), mi.leftStart())) {
          throw new IllegalArgumentException("no range before it starts at '"
              + dev.junction.store.Keys.printable(mi.leftStart()) + "'");
        }
        RoutingTable next = table.withMerge(left.rangeId(), d.rangeId(), mi.intoId());
        getContext().getLog().info("ranges {} and {} merged (seq {} and {}) into range {}", left.rangeId(),
            d.rangeId(), mi.leftSeq(), d.seq(), mi.intoId());
        publish(next);
      }
    } catch (IllegalArgumentException e) {
      getContext().getLog().error("range {} reports an ending the table cannot take: {}", d.rangeId(), e.getMessage());
    }
    return this;
  }

  private Behavior<Command> onStartMerge(StartMerge r) {
    r.replyTo().tell(startAsked("merge", r.rangeId(), "range " + r.rangeId() + " and the next cannot be merged now",
        () -> Requests.merge(table, r.rangeId(), moves.operators())));
    return this;
  }

  private Behavior<Command> onCancelMove(CancelMove c) {
    MoveBook.Operator op = moves.operators().stream().filter(o -> o.id() == c.id()).findFirst().orElse(null);
    long now = System.nanoTime();
    if (op == null) {
      c.replyTo().tell(new MoveStarted("no operator " + c.id() + " is under way", java.util.Optional.empty(), now));
      return this;
    }
    moves.cancel(op.id());
    MoveBook.Operator cancelled = new MoveBook.Operator(op.id(), op.move(), op.slot(), op.startEpoch(),
        MoveBook.Phase.CANCELLED, now, op.copied());
    remember(cancelled);
    getContext().getLog().info("move {} of range {} cancelled in phase {}, asked for", op.id(), op.rangeId(), op.phase());
    c.replyTo().tell(new MoveStarted("", java.util.Optional.of(cancelled), now));
    return this;
  }

  private Behavior<Command> onApplyPlan(ApplyPlan a) {
    long now = System.nanoTime();
    if (table == null) {
      a.replyTo().tell(new PlanReport(0, settings.rebalance().enabled(), List.of(), List.of(), 0, 0, 0,
          new java.util.TreeMap<>(), List.of(), now, List.copyOf(ended)));
      return this;
    }
    PlanAndStarted p = startPlan(upNodes(lostNodes()), now);
    a.replyTo().tell(new PlanReport(table.version(), settings.rebalance().enabled(), p.started(),
        p.plan().rejected(), p.plan().before(), p.plan().after(), p.plan().lowerBound(),
        new java.util.TreeMap<>(p.plan().utilization()), moves.operators(), now, List.copyOf(ended)));
    return this;
  }

  /**
   * The planner's plan now, with the {@code up} nodes: each range weighs what the load statistics say
   * (its measured bytes, its reads and writes per second as moving averages; at least
   * {@code rebalance.range-floor}, so ranges nothing is known of yet, and idle ones, still count),
   * and each node offers an equal share of what all replicas need in each dimension, so that a
   * utilization of 1 is a node's fair share.
   */
  private Plan plan(List<String> up) {
    Map<Long, RangeStats> stats = load.stats(table, settings.rebalance().floor(), System.nanoTime());
    double bytes = 0;
    double ops = 0;
    int rf = settings.replicationFactor();
    double headWeight = settings.rebalance().planner().headWeight();
    for (RangeConfig range : table.ranges()) {
      RangeStats s = stats.get(range.rangeId());
      int replicas = Math.max(rf, range.chain().size());
      bytes += (double) s.bytes() * replicas;
      // Every replica applies every write, the reads spread over the chain, the head does more per write.
      ops += s.writesPerSecond() * (replicas + headWeight) + s.readsPerSecond();
    }
    Map<String, Long> storage = new HashMap<>();
    roles(ClusterNode.CAPACITY_STORAGE_ROLE).forEach((n, v) -> storage.put(n, parseOr(v, 0L)));
    Map<String, Double> rates = new HashMap<>();
    roles(ClusterNode.CAPACITY_OPS_ROLE).forEach((n, v) -> rates.put(n, (double) parseOr(v, 0L)));
    List<NodeSpec> nodes = Capacities.nodes(up, draining, roles(ClusterNode.RACK_ROLE), storage, rates, bytes, ops);
    return planner.plan(table, nodes, stats, rf, moves.inFlight(), recentMoves(System.nanoTime()));
  }

  /**
   * The moves that ended done within {@code rebalance.move-back-after} (of those this controller keeps):
   * the planner does not take them back. A controller that takes over starts without them.
   */
  private List<Move> recentMoves(long now) {
    long window = settings.rebalance().moveBackAfter().toNanos();
    List<Move> recent = new java.util.ArrayList<>();
    for (MoveBook.Operator op : ended) {
      if (op.phase() == MoveBook.Phase.DONE && now - op.phaseSince() < window) {
        recent.add(op.move());
      }
    }
    return recent;
  }

  /**
   * What every member announces in a cluster role {@code prefix + value} (its rack, its capacities: see
   * {@link ClusterNode}), by member; members without one are left out.
   */
  private Map<String, String> roles(String prefix) {
    Map<String, String> values = new HashMap<>();
    for (org.apache.pekko.cluster.Member m : Cluster.get(getContext().getSystem()).state().getMembers()) {
      for (String role : m.getRoles()) {
        if (role.startsWith(prefix)) {
          values.put(m.address().toString(), role.substring(prefix.length()));
        }
      }
    }
    return values;
  }

  private static long parseOr(String text, long otherwise) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  private Behavior<Command> onNodeStats(NodeStats s) {
    load.report(s.node(), Duration.ofNanos(s.windowNanos()), new LoadSnapshot(s.byRange(), s.byNode()), s.sizes(),
        System.nanoTime());
    samples.report(s.keySamples());
    return this;
  }

  private Behavior<Command> onLoadRequest(LoadRequest r) {
    long halfLife = settings.stats().halfLife().toMillis();
    if (table == null) {
      r.replyTo().tell(new LoadView(0, halfLife, List.of(), List.of()));
    } else {
      long now = System.nanoTime();
      r.replyTo().tell(new LoadView(table.version(), halfLife, load.ranges(table, now), load.nodes(table, now),
          new OperatorTally(moves.operators(), now, endedCounts)));
    }
    return this;
  }

  /** Only moves between up nodes are started here: replicas on lost nodes are the repair's, short chains the replacement's. */
  private static boolean startable(Move m, List<String> up) {
    return !(m instanceof Move.AddReplica) && up.containsAll(m.nodes());
  }

  private Behavior<Command> onPlanRequest(PlanRequest r) {
    long now = System.nanoTime();
    if (table == null) {
      r.replyTo().tell(new PlanReport(0, settings.rebalance().enabled(), List.of(), List.of(), 0, 0, 0,
          new java.util.TreeMap<>(), List.of(), now, List.copyOf(ended)));
      return this;
    }
    Plan plan = plan(upNodes(lostNodes()));
    r.replyTo().tell(new PlanReport(table.version(), settings.rebalance().enabled(), plan.moves(), plan.rejected(),
        plan.before(), plan.after(), plan.lowerBound(), new java.util.TreeMap<>(plan.utilization()),
        moves.operators(), now, List.copyOf(ended)));
    return this;
  }

  private Behavior<Command> onDrain(Drain d) {
    String node = d.node();
    String refused = "";
    if (table == null) {
      refused = "the cluster has no routing table yet";
    } else if (d.cancel()) {
      if (draining.remove(node)) {
        getContext().getLog().info("node {} is no longer drained", node);
      }
    } else {
      refused = Requests.drainRefusal(node, upNodes(lostNodes()), draining, settings.rebalance().enabled(),
          settings.replicationFactor());
      if (refused.isEmpty() && draining.add(node)) {
        planAtNextTick();
        getContext().getLog().info("node {} is drained: its replicas move to other nodes", node);
      }
    }
    int replicas = table == null ? 0 : table.replicasOn(node);
    d.replyTo().tell(new DrainState(node, refused, draining.contains(node), replicas));
    return this;
  }

  /**
   * Restores the replication factor: a range that has run short of replicas for {@code replace-after}
   * (and has no lost replica left to remove first) is copied to another live node, whose new replica the
   * controller places and asks, every tick, to copy and report ready ({@link ReplicaActor.Join}).
   */
  private void replaceMissing(Set<String> lost) {
    if (publishing) {
      return;
    }
    List<String> live = upNodes(lost);
    int rf = Math.min(settings.replicationFactor(), live.size());
    for (ReplacementPlanner.Step step : copies.tick(table, live, lost, rf, System.nanoTime())) {
      RangeConfig range = step.range();
      ReplacementPlanner.Copy copy = step.copy();
      if (step.started()) {
        getContext().getLog().warn("range {} has {} of {} replicas: copying it to {} as slot {}",
            range.rangeId(), range.chain().size(), rf, copy.node(), copy.slot());
      }
      if (placedAhead(Map.of(range.replicaId(copy.slot()).entityId(), AddressFromURIString.parse(copy.node())),
          System.nanoTime())) {
        askCopy(range, copy.slot(), copy.node());
      }
    }
  }

  /** Ticks of the controller for which a copy, asked for at every tick, holds its range's logs whole. */
  private static final int LOG_HOLD_TICKS = 5;

  /**
   * Asks new replica {@code slot} on {@code node} to copy {@code range} from its tail and report ready (a
   * replica that is copying or ready only reports again), and every replica of the chain to keep its whole
   * log meanwhile ({@link ReplicaActor.HoldLog}, for a few ticks: the last one covers the copy's joining,
   * when its predecessor resends from its log what was written during the copy).
   */
  private void askCopy(RangeConfig range, int slot, String node) {
    replicas.replica(range.replicaId(slot)).tell(new ReplicaActor.Join(range, range.tail().slot(), node));
    ReplicaActor.HoldLog hold = new ReplicaActor.HoldLog(settings.wakeInterval().toNanos() * LOG_HOLD_TICKS);
    for (Replica r : range.chain()) {
      replicas.replica(range.replicaId(r.slot())).tell(hold);
    }
  }

  /**
   * Takes a replica that cannot catch up out of its chain. It never served reads (a replica serves reads
   * only once it holds everything its predecessor had, and a chain member always holds every committed
   * write: only a new copy can lack some), so no lease has to run out first.
   */
  private Behavior<Command> onReplicaBehind(ReplicaBehind b) {
    RangeConfig range = table == null ? null : table.range(b.rangeId()).orElse(null);
    if (range == null || publishing || range.epoch() != b.epoch() || range.indexOf(b.slot()) < 0
        || range.chain().size() < 2) {
      return this;
    }
    List<Replica> chain = new java.util.ArrayList<>(range.chain());
    chain.removeIf(r -> r.slot() == b.slot());
    getContext().getLog().warn("range {}: slot {} cannot catch up from the log; it leaves the chain for a fresh copy",
        b.rangeId(), b.slot());
    publish(table.withRange(range.withChain(chain)));
    return this;
  }

  private Behavior<Command> onJoinReady(JoinReady r) {
    if (table != null && moves.ready(r.rangeId(), r.slot(), r.node())) {
      getContext().getLog().info("range {}: slot {} on {} copied up to seq {} for a move; it joins the chain at the tail",
          r.rangeId(), r.slot(), r.node(), r.appliedSeq());
      return this;
    }
    if (table == null || publishing) {
      return this;
    }
    copies.ready(table, r.rangeId(), r.slot(), r.node()).ifPresent(next -> {
      getContext().getLog().info("range {}: slot {} on {} copied up to seq {}; it joins the chain at the tail",
          r.rangeId(), r.slot(), r.node(), r.appliedSeq());
      publish(next);
    });
    return this;
  }

  private void wakeAll() {
    for (RangeConfig range : table.ranges()) {
      for (Replica r : range.chain()) {
        replicas.replica(range.replicaId(r.slot())).tell(ReplicaActor.Wake.INSTANCE);
      }
    }
  }
}
