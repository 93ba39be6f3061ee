package dev.junction.sharding.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.junction.chain.core.ChainSettings;
import dev.junction.chain.replica.ChainLink;
import dev.junction.chain.replica.ChainWire;
import dev.junction.chain.replica.Leftovers;
import dev.junction.chain.replica.LocalReplicas;
import dev.junction.chain.replica.ReplicaStore;
import dev.junction.sharding.routing.DeadReplicas;
import dev.junction.sharding.routing.LoadCounters;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.DispatcherSelector;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.sharding.routing.TableHolder;
import dev.junction.store.SsdStore;
import dev.junction.store.StoreSettings;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import dev.junction.chain.bulk.BufferPool;
import dev.junction.chain.bulk.BulkTransport;
import dev.junction.chain.bulk.TcpBulkTransport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Junction node's cluster side, wired: its store, its ActorSystem (cluster member), the routing-table
 * keeper, the replica shard region, the controller singleton, and the gateway's router. The node program
 * adds the gRPC facade; tests start several of these in one JVM.
 */
public final class ClusterNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
  /** The cluster role that carries a node's rack label ({@code junction.cluster.rack}). */
  public static final String RACK_ROLE = "rack=";

  /** The cluster roles that carry a node's capacities ({@code junction.cluster.capacity}), when set. */
  public static final String CAPACITY_STORAGE_ROLE = "capacity-storage-bytes=";
  public static final String CAPACITY_OPS_ROLE = "capacity-requests-per-second=";

  private final ActorSystem<Void> system;
  private final SsdStore store;
  private final TableHolder tables;
  private final ReplicaSharding replicas;
  private final Router router;
  private final ClusterSettings settings;
  private final DrainOnLeave drain;
  /** The chain traffic's own connections, or null when it goes over Artery. */
  private final ChainWire wire;
  /** Routing-table reads from a majority because a replica here heard its chain at a newer epoch. */
  private final LongAdder staleTableReads;
  /** The nodes being drained, as the newest published table says. */
  private final AtomicReference<List<String>> draining;

  private ClusterNode(
      ActorSystem<Void> system,
      SsdStore store,
      TableHolder tables,
      AtomicReference<List<String>> draining,
      ReplicaSharding replicas,
      Router router,
      ClusterSettings settings,
      ChainWire wire,
      LongAdder staleTableReads) {
    this.system = system;
    this.wire = wire;
    this.staleTableReads = staleTableReads;
    this.draining = draining;
    this.store = store;
    this.tables = tables;
    this.replicas = replicas;
    this.router = router;
    this.settings = settings;
    this.drain = settings.leaveDrainTimeout().isZero() ? null
        : new DrainOnLeave(system, replicas, tables, settings.leaveDrainTimeout());
    if (drain != null) {
      CoordinatedShutdown.get(system).addTask(
          CoordinatedShutdown.PhaseBeforeServiceUnbind(), "junction-drain-before-leaving", drain::run);
    }
  }

  /**
   * Gives this node's replicas away before it stops (see {@link DrainOnLeave}); the node's coordinated
   * shutdown does it too, so this is for a caller that wants it done before it stops serving clients.
   * Blocks at most the drain's bound and a margin; does nothing when {@code leave.drain-timeout} is 0.
   */
  /** Whether this node has begun to leave: its drain before stopping started (SIGTERM, close). */
  public boolean leaving() {
    return drain != null && drain.started();
  }

  /** Whether the controller is draining this node ({@code junctionctl drain}), as the newest table says. */
  public boolean beingDrained() {
    return draining.get().contains(address().toString());
  }

  /**
   * Before this node leaves: asks the controller to move its replicas away and waits for that (at most
   * {@code junction.cluster.leave.drain-timeout}, plus a margin). True when the drain ended: drained,
   * refused (e.g. fewer nodes would be left than the replication factor), given up at its bound, or
   * nothing to drain; false when the wait itself broke (interrupted, or no end within the bound and the
   * margin).
   */
  public boolean drainBeforeLeaving() {
    if (drain == null) {
      return true;
    }
    try {
      drain.run().toCompletableFuture().get(settings.leaveDrainTimeout().toSeconds() + 10, TimeUnit.SECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      log.warn("draining node {} before it stops failed: {}", address(), e.toString());
      return false;
    }
  }

  /**
   * Starts a node. {@code config} holds what the caller sets, without the libraries' reference defaults
   * (Junction's Pekko settings, {@code junction-cluster.conf}, go between the two); at least
   * {@code junction.store.directory}. Pekko's
   * {@code pekko.cluster.seed-nodes} (or a later {@link #join}) makes it find the others. The distributed
   * data of the node is kept under the store directory's parent, in {@code ddata}.
   */
  public static ClusterNode start(Config config) {
    Config full =
        config
            .withFallback(ConfigFactory.parseResources("junction-cluster.conf"))
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    // Announced as cluster roles, so that the controller, wherever it runs, knows every node's rack and
    // capacities.
    java.util.List<String> roles = new java.util.ArrayList<>(full.getStringList("pekko.cluster.roles"));
    String rack = full.getString("junction.cluster.rack").trim();
    if (!rack.isEmpty()) {
      roles.add(RACK_ROLE + rack);
    }
    long storage = full.getBytes("junction.cluster.capacity.storage");
    long rate = full.getLong("junction.cluster.capacity.requests-per-second");
    if (storage < 0 || rate < 0) {
      throw new IllegalArgumentException("junction.cluster.capacity: storage and requests-per-second must not be "
          + "negative (0: not announced)");
    }
    if (storage > 0) {
      roles.add(CAPACITY_STORAGE_ROLE + storage);
    }
    if (rate > 0) {
      roles.add(CAPACITY_OPS_ROLE + rate);
    }
    full = ConfigFactory.parseMap(java.util.Map.of("pekko.cluster.roles", roles)).withFallback(full);
    StoreSettings storeSettings = StoreSettings.fromConfig(full);
    if (!full.hasPath("pekko.cluster.distributed-data.durable.lmdb.dir")) {
      full =
          ConfigFactory.parseMap(
                  java.util.Map.of(
                      "pekko.cluster.distributed-data.durable.lmdb.dir",
                      storeSettings.directory().toAbsolutePath().resolveSibling("ddata").toString()))
              .withFallback(full);
    }
    ClusterSettings settings = ClusterSettings.fromConfig(full);
    // The drain on leave runs in before-service-unbind: that phase must give it its bound and a margin.
    String drainPhase = "pekko.coordinated-shutdown.phases.before-service-unbind.timeout";
    long drainPhaseMillis = settings.leaveDrainTimeout().toMillis() + 10_000;
    long phaseMillis = full.hasPath(drainPhase) ? full.getDuration(drainPhase).toMillis()
        : full.getDuration("pekko.coordinated-shutdown.default-phase-timeout").toMillis();
    if (phaseMillis < drainPhaseMillis) {
      full = ConfigFactory.parseMap(java.util.Map.of(drainPhase, drainPhaseMillis + "ms")).withFallback(full);
    }
    SsdStore store = SsdStore.open(storeSettings);
    ActorSystem<Void> system;
    try {
      system = ActorSystem.create(Behaviors.empty(), "junction", full);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    TableHolder tables = TableHolder.empty();
    LongAdder staleTableReads = new LongAdder();
    AtomicReference<List<String>> draining =
        new AtomicReference<>(List.of());
    ActorRef<TableKeeper.Command> keeper = system.systemActorOf(
        TableKeeper.create(tables, draining::set, settings.ddataTimeout(), staleTableReads), TableKeeper.NAME,
        Props.empty());
    BulkTransport bulk;
    try {
      bulk = TcpBulkTransport.start(
          new InetSocketAddress(full.getString("pekko.remote.artery.canonical.hostname"), settings.bulkPort()),
          request -> store.snapshot(request.from(), request.to()),
          new BufferPool(settings.bulkBufferSize(), settings.bulkBuffers()));
    } catch (IOException e) {
      system.terminate();
      throw new UncheckedIOException("cannot start the bulk server on port " + settings.bulkPort(), e);
    }
    system.getWhenTerminated().thenRun(bulk::close);
    log.info("bulk transport {} on {}", bulk.name(), bulk.address());
    ChainSettings chainSettings = ChainSettings.fromConfig(full);
    Leftovers leftovers = new Leftovers(chainSettings.leftoverWipeAfter());
    LocalReplicas locals = new LocalReplicas(leftovers);
    ReplicaSharding replicas = ReplicaSharding.init(
        system, store, tables, keeper, bulk, locals, chainSettings, settings.askTimeout());
    String self = replicas.selfNode();
    // Without a table nothing is known to be free: no wipe then.
    leftovers.placedHere((start, end) -> tables.find()
        .map(t -> t.covering(start, end).stream()
            .anyMatch(r -> r.chain().stream().anyMatch(x -> x.node().equals(self))))
        .orElse(true));
    leftovers.every(chainSettings.leftoverSweepEvery(),
        () -> tables.find().ifPresent(t -> sweep(store, t, self, leftovers)));
    ChainWire wire = chainWire(full, bulk, locals, replicas);
    if (wire != null) {
      system.getWhenTerminated().thenRun(wire::close);
    }
    replicas.useLink(system.systemActorOf(
        ChainLink.create(locals, replicas, wire, bulk.address()), ChainLink.NAME, Props.empty()), wire);
    replicas.useController(
        ClusterSingleton.get(system)
            .init(SingletonActor.of(
                Controller.create(settings, replicas, DownedNodes.watch(system)), "junction-controller")));
    LoadCounters counters = new LoadCounters();
    Router router = new Router(system, tables, keeper, settings.routing(), counters, locals,
        replicas.selfNode());
    system.systemActorOf(
        LoadReporter.create(settings.stats(), replicas.selfNode(), counters, locals, tables, replicas::controller),
        "load-reporter", DispatcherSelector.blocking());
    router.useInbox(system.systemActorOf(router.inboxBehavior(), "junction-inbox", Props.empty()));
    system.systemActorOf(NodeEndpoint.create(locals), NodeEndpoint.NAME, Props.empty());
    system.systemActorOf(RouterActor.create(router, router.peers()), "router", Props.empty());
    system.getWhenTerminated().thenRun(() -> {
      leftovers.close(); // its wipes write to the store
      closeStore(store);
    });
    log.info("node {} started (store {})", Cluster.get(system).selfMember().address(), store.directory());
    return new ClusterNode(system, store, tables, draining, replicas, router, settings, wire, staleTableReads);
  }

  /**
   * The chain traffic's own connections ({@code junction.chain.transport = tcp}, on the bulk port), or
   * null for Artery only ({@code artery}).
   */
  private static ChainWire chainWire(Config full, BulkTransport bulk, LocalReplicas locals, ReplicaSharding replicas) {
    String transport = full.getString("junction.chain.transport");
    switch (transport) {
      case "artery":
        log.info("chain traffic between nodes goes over Artery");
        return null;
      case "tcp":
        if (!(bulk instanceof TcpBulkTransport tcp)) {
          log.info("chain traffic between nodes goes over Artery (the bulk transport {} has no TCP port)", bulk.name());
          return null;
        }
        ChainWire wire = new ChainWire(items -> ChainLink.deliverAll(locals, replicas, items));
        tcp.acceptStreams(ChainWire.MAGIC, wire::serve);
        log.info("chain traffic between nodes goes over connections of its own to the bulk ports (this one {})",
            bulk.address());
        return wire;
      default:
        throw new IllegalArgumentException(
            "junction.chain.transport must be tcp or artery, not \"" + transport + "\"");
    }
  }

  /**
   * Schedules the wipe of what the store holds of replicas that are dead by {@code table} (see {@link
   * DeadReplicas}) and that nothing here uses now: what no leaving replica scheduled.
   */
  private static void sweep(SsdStore store, RoutingTable table, String self, Leftovers leftovers) {
    for (DeadReplicas.Dead d : DeadReplicas.find(store.allMeta(), table, self)) {
      if (!leftovers.inUseNow(d.start(), d.end())
          && leftovers.schedule(new ReplicaStore(store, d.rangeId(), d.slot()), d.rangeId() + "." + d.slot(),
              d.start(), d.end())) {
        log.info("replica {}.{} is dead by the routing table ({}); its data here will be wiped", d.rangeId(),
            d.slot(), d.ended() ? "its range split or merged, and no range here holds its keys"
                : "not in its range's chain, and never again");
      }
    }
  }

  private static void closeStore(SsdStore store) {
    try {
      store.close();
    } catch (RuntimeException e) {
      log.error("closing the store failed", e);
    }
  }

  /** Joins the cluster that {@code seed} belongs to (or forms one, when {@code seed} is this node). */
  public void join(Address seed) {
    Cluster.get(system).manager().tell(Join.create(seed));
  }

  public Address address() {
    return Cluster.get(system).selfMember().address();
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public SsdStore store() {
    return store;
  }

  public TableHolder tables() {
    return tables;
  }

  public ReplicaSharding replicas() {
    return replicas;
  }

  public Router router() {
    return router;
  }

  public ClusterSettings settings() {
    return settings;
  }

  /**
   * How often this node read the routing table from a majority because a replica here heard its chain at
   * an epoch the node's table lacked (the controller's write had not reached this node yet).
   */
  public long staleTableReads() {
    return staleTableReads.sum();
  }

  /** The chain traffic's own connections (empty when it goes over Artery). */
  public java.util.Optional<ChainWire> chainWire() {
    return java.util.Optional.ofNullable(wire);
  }

  /**
   * Leaves the cluster gracefully (coordinated shutdown: drained first, see {@code leave.drain-timeout})
   * and closes the store; waits up to a minute more than the drain's bound.
   */
  @Override
  public void close() {
    system.terminate();
    long wait = 60 + settings.leaveDrainTimeout().toSeconds();
    try {
      system.getWhenTerminated().toCompletableFuture().get(wait, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("node {} did not stop within {} s: {}", address(), wait, e.toString());
    }
    closeStore(store);
  }
}
