package dev.junction.sharding.cluster;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.core.ChainSettings;
import dev.junction.chain.replica.ChainDirectory;
import dev.junction.chain.replica.ChainLink;
import dev.junction.chain.replica.ChainWire;
import dev.junction.chain.replica.LocalReplicas;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.chain.replica.ReplicaStore;
import dev.junction.sharding.routing.TableHolder;
import dev.junction.store.SsdStore;
import java.time.Duration;
import dev.junction.chain.bulk.BulkTransport;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.javadsl.ExternalShardAllocationClient;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;

/**
 * Hosts the replica entities with Cluster Sharding: entity id {@code <rangeId>.<slot>}, one shard per
 * entity (the shard id is the entity id), placed by {@link ExternalShardAllocationStrategy} on the node
 * the controller chose. Also the {@link ChainDirectory} the replicas use to find their configuration
 * and each other.
 */
public final class ReplicaSharding implements ChainDirectory {
  /** The sharding entity type of replicas. */
  public static final EntityTypeKey<ReplicaActor.Command> TYPE =
      EntityTypeKey.create(ReplicaActor.Command.class, "replica");

  private final ClusterSharding sharding;
  private final TableHolder tables;
  private final ActorRef<TableKeeper.Command> keeper;
  private final String selfNode;
  private final ExternalShardAllocationClient allocation;
  private volatile ActorRef<Controller.Command> controller;
  private final BulkTransport bulk;
  private final LocalReplicas locals;
  private final ChainSettings chainSettings;
  /** Catch-ups a predecessor here could not serve from its log ({@link #reportBehind}). */
  private final java.util.concurrent.atomic.LongAdder behind = new java.util.concurrent.atomic.LongAdder();

  private ReplicaSharding(
      ActorSystem<?> system,
      TableHolder tables,
      ActorRef<TableKeeper.Command> keeper,
      BulkTransport bulk,
      LocalReplicas locals,
      ChainSettings chainSettings) {
    this.bulk = bulk;
    this.locals = locals;
    this.chainSettings = chainSettings;
    this.sharding = ClusterSharding.get(system);
    this.tables = tables;
    this.keeper = keeper;
    this.selfNode = Cluster.get(system).selfMember().address().toString();
    this.allocation = ExternalShardAllocation.get(system).getClient(TYPE.name());
  }

  /** Starts the replica shard region on this node, storing into {@code store}. */
  public static ReplicaSharding init(
      ActorSystem<?> system,
      SsdStore store,
      TableHolder tables,
      ActorRef<TableKeeper.Command> keeper,
      BulkTransport bulk,
      LocalReplicas locals,
      ChainSettings chainSettings,
      Duration allocationTimeout) {
    ReplicaSharding directory = new ReplicaSharding(system, tables, keeper, bulk, locals, chainSettings);
    directory.sharding.init(
        Entity.of(
                TYPE,
                ctx -> {
                  ReplicaId id = ReplicaId.parse(ctx.getEntityId());
                  return ReplicaActor.create(id, new ReplicaStore(store, id.rangeId(), id.slot()), directory);
                })
            .withMessageExtractor(new OneShardPerEntity())
            .withAllocationStrategy(
                ExternalShardAllocationStrategy.create(system, TYPE.name(), allocationTimeout)));
    return directory;
  }

  /** The shard id of an entity is its entity id. */
  static final class OneShardPerEntity
      extends ShardingMessageExtractor<ShardingEnvelope<ReplicaActor.Command>, ReplicaActor.Command> {
    @Override
    public String entityId(ShardingEnvelope<ReplicaActor.Command> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return entityId;
    }

    @Override
    public ReplicaActor.Command unwrapMessage(ShardingEnvelope<ReplicaActor.Command> envelope) {
      return envelope.message();
    }
  }

  /** A reference to the replica entity {@code id}. */
  public EntityRef<ReplicaActor.Command> replica(ReplicaId id) {
    return sharding.entityRefFor(TYPE, id.entityId());
  }

  /**
   * The nodes whose replica shard region sharding's coordinator knows. A node's region registers a moment
   * after the node is up (it retries every few seconds until the coordinator answers); until then the
   * coordinator starts a shard meant for that node where the caller is, whatever location it was told.
   */
  public CompletionStage<java.util.Set<String>> registeredRegions(ActorSystem<?> system, Duration timeout) {
    org.apache.pekko.actor.ActorRef region = org.apache.pekko.cluster.sharding.ClusterSharding
        .get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system)).shardRegion(TYPE.name());
    return org.apache.pekko.pattern.Patterns.ask(
            region, org.apache.pekko.cluster.sharding.ShardRegion.getCurrentRegionsInstance(), timeout)
        .thenApply(reply -> {
          java.util.Set<String> nodes = new java.util.TreeSet<>();
          ((org.apache.pekko.cluster.sharding.ShardRegion.CurrentRegions) reply).getRegions()
              .forEach(a -> nodes.add(a.toString()));
          return nodes;
        });
  }

  /** The client that sets where shards (replicas) live. */
  public ExternalShardAllocationClient allocation() {
    return allocation;
  }

  @Override
  public Optional<RangeConfig> config(long rangeId) {
    return tables.find().flatMap(t -> t.range(rangeId));
  }

  @Override
  public void subscribe(long rangeId, ActorRef<ReplicaActor.Command> replica) {
    keeper.tell(new TableKeeper.Subscribe(rangeId, replica));
  }

  @Override
  public void newerEpochSeen(long rangeId, long epoch) {
    keeper.tell(new TableKeeper.Stale(rangeId, epoch));
  }

  @Override
  public void send(ReplicaId to, ReplicaActor.Command message) {
    replica(to).tell(message);
  }

  private volatile ActorRef<ChainLink.Command> link;
  private volatile ChainWire wire;

  /**
   * This node's chain link (started after sharding, with this directory as its fallback) and the wire it
   * sends over (null: Artery only).
   */
  void useLink(ActorRef<ChainLink.Command> link, ChainWire wire) {
    this.wire = wire;
    this.link = link;
  }

  @Override
  public void sendPeer(String node, ReplicaId to, dev.junction.chain.core.PeerMessage message) {
    ActorRef<ChainLink.Command> l = link;
    if (l == null) {
      send(to, new ReplicaActor.Peer(message));
    } else if (!ChainLink.sendDirect(locals, this, wire, node, to, message)) {
      l.tell(new ChainLink.Out(node, to.rangeId(), to.slot(), message));
    }
  }

  /** The proxy of the controller singleton, which grants read leases. */
  void useController(ActorRef<Controller.Command> proxy) {
    this.controller = proxy;
  }

  /** The controller singleton's proxy, or null before it is known. */
  ActorRef<Controller.Command> controller() {
    return controller;
  }

  /** The controller singleton's proxy (for tests and tools that talk to it directly). */
  public ActorRef<Controller.Command> controllerRef() {
    ActorRef<Controller.Command> c = controller;
    if (c == null) {
      throw new IllegalStateException("the controller is not known on this node yet");
    }
    return c;
  }

  /** The controller's load statistics (see {@link Controller.LoadRequest}). */
  public CompletionStage<Controller.LoadView> load(ActorSystem<?> system, Duration timeout) {
    return askController(system, Controller.LoadRequest::new, timeout);
  }

  /**
   * What the controller's planner would do now and the moves under way, from wherever the controller
   * runs; fails when no controller is known yet or it does not answer within {@code timeout}.
   */
  public CompletionStage<Controller.PlanReport> plan(ActorSystem<?> system, Duration timeout) {
    return askController(system, Controller.PlanRequest::new, timeout);
  }

  /** Starts a move (see {@link Controller.StartMove}) through the controller. */
  public CompletionStage<Controller.MoveStarted> startMove(
      ActorSystem<?> system, long rangeId, String from, String to, Duration timeout) {
    return askController(system, replyTo -> new Controller.StartMove(rangeId, from, to, replyTo), timeout);
  }

  /** Cancels operator {@code id} (see {@link Controller.CancelMove}) through the controller. */
  public CompletionStage<Controller.MoveStarted> cancelMove(ActorSystem<?> system, long id, Duration timeout) {
    return askController(system, replyTo -> new Controller.CancelMove(id, replyTo), timeout);
  }

  /** Starts the planner's moves now (see {@link Controller.ApplyPlan}) through the controller. */
  public CompletionStage<Controller.PlanReport> applyPlan(ActorSystem<?> system, Duration timeout) {
    return askController(system, Controller.ApplyPlan::new, timeout);
  }

  /** Asks the controller, wherever it runs; fails when none is known yet or it does not answer in time. */
  private <T> CompletionStage<T> askController(
      ActorSystem<?> system, org.apache.pekko.japi.function.Function<ActorRef<T>, Controller.Command> message,
      Duration timeout) {
    ActorRef<Controller.Command> c = controller;
    if (c == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("the controller is not known on this node yet"));
    }
    return AskPattern.ask(c, message, timeout, system.scheduler());
  }

  /** Drains {@code node}, or stops draining it (see {@link Controller.Drain}), through the controller. */
  public CompletionStage<Controller.DrainState> drain(ActorSystem<?> system, String node, boolean cancel, Duration timeout) {
    return askController(system, replyTo -> new Controller.Drain(node, cancel, replyTo), timeout);
  }

  @Override
  public void requestLease(
      ReplicaId replica, long epoch, long requestedAt, ActorRef<ReplicaActor.Command> replyTo) {
    ActorRef<Controller.Command> c = controller;
    if (c != null) {
      c.tell(new Controller.LeaseRequest(replica.rangeId(), replica.slot(), epoch, requestedAt, replyTo));
    }
  }

  @Override
  public void joinReady(ReplicaId replica, long appliedSeq) {
    ActorRef<Controller.Command> c = controller;
    if (c != null) {
      c.tell(new Controller.JoinReady(replica.rangeId(), replica.slot(), selfNode, appliedSeq));
    }
  }

  @Override
  public void reportBehind(ReplicaId replica, long epoch) {
    behind.increment();
    ActorRef<Controller.Command> c = controller;
    if (c != null) {
      c.tell(new Controller.ReplicaBehind(replica.rangeId(), replica.slot(), epoch));
    }
  }

  /**
   * How many times a replica here could not catch its successor up from its log (the successor, a new
   * copy, is then replaced by another copy): should stay 0 while copies hold their chains' logs.
   */
  public long behindReports() {
    return behind.sum();
  }


  @Override
  public void reportEnded(ReplicaId replica, long epoch, long seq, dev.junction.chain.core.Mutation.Ending ending) {
    ActorRef<Controller.Command> c = controller;
    if (c != null) {
      c.tell(new Controller.RangeEnded(replica.rangeId(), epoch, seq, ending));
    }
  }

  /** Starts a split (see {@link Controller.StartSplit}) through the controller. */
  public CompletionStage<Controller.MoveStarted> startSplit(
      ActorSystem<?> system, long rangeId, byte[] at, Duration timeout) {
    return askController(system, replyTo -> new Controller.StartSplit(rangeId, at, replyTo), timeout);
  }

  /** Starts a merge of range {@code rangeId} with the next one (see {@link Controller.StartMerge}). */
  public CompletionStage<Controller.MoveStarted> startMerge(ActorSystem<?> system, long rangeId, Duration timeout) {
    return askController(system, replyTo -> new Controller.StartMerge(rangeId, replyTo), timeout);
  }

  @Override
  public BulkTransport bulk() {
    return bulk;
  }

  @Override
  public String selfNode() {
    return selfNode;
  }

  @Override
  public LocalReplicas locals() {
    return locals;
  }

  @Override
  public ChainSettings chainSettings() {
    return chainSettings;
  }
}
