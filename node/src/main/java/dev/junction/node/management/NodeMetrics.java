package dev.junction.node.management;

import dev.junction.chain.core.ClientReply;
import dev.junction.chain.replica.ChainWire;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.chain.replica.WriteTimings;
import dev.junction.sharding.cluster.ClusterNode;
import dev.junction.sharding.cluster.Controller;
import dev.junction.sharding.cluster.ReplicaSharding;
import dev.junction.sharding.placement.LoadBook;
import dev.junction.sharding.routing.GatewayStats;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.chain.replica.Leftovers;
import dev.junction.store.SsdStore;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The node's metrics in Prometheus' text format ({@code /metrics} on the management endpoint), through
 * Micrometer's Prometheus registry:
 *
 * <ul>
 *   <li>{@code junction_requests_seconds} (histogram; {@code _count} per call): every call the node
 *       served, over gRPC or the native protocol, by {@code service}, {@code op} (the method: {@code Put},
 *       {@code Get}, …) and {@code status} (the gRPC status code), measured by Micrometer's gRPC interceptor
 *       and renamed (native calls: {@link #nativeCall});
 *   <li>{@code junction_store_*}: the store's counters ({@code commits_total}, {@code batches_total},
 *       {@code syncs_total}, …) and its map size against its limit;
 *   <li>{@code junction_range_*}: per range (label {@code range}), the cluster's load statistics as the
 *       controller keeps them (requests per second, keys, bytes), read at each scrape;
 *   <li>{@code junction_replica_*}: per replica of this node ({@code replica}: RANGE.SLOT, {@code role}):
 *       its epoch, whether it serves (in its chain, in sync, holding its read lease), its writes in
 *       flight (persisted here, not yet committed by the tail: its replication lag in sequence numbers)
 *       and how long its read lease still runs ({@code junction_replica_lease_seconds}), asked at each
 *       scrape;
 *   <li>{@code junction_operators_running{kind}} and {@code junction_operators_ended_total{outcome}}: the
 *       controller's moves, splits and merges under way, and those that ended since it took over;
 *   <li>{@code junction_chain_wire_*}: the chain traffic's own connections to the other nodes: frames,
 *       messages and bytes by {@code direction} (sent, received) and the reads that brought them in;
 *   <li>{@code junction_gateway_*}: what this node's gateway spent beyond one attempt per request:
 *       attempts refused by {@code reason}, requests resent on a new configuration, reads passed on to the
 *       tail, routing-table refreshes from a majority, deadlines passed; {@code
 *       junction_table_stale_reads_total}: the table read from a majority because a replica here heard its
 *       chain at an epoch the node's table lacked; {@code junction_replicas_behind_total}: new copies a
 *       replica here could not catch up from its log (each is thrown away and copied again);
 *   <li>{@code pekko_cluster_members{status}} and {@code pekko_cluster_unreachable_members}: the cluster
 *       membership as this node sees it;
 *   <li>JVM basics (memory, GC, threads, classes, JIT time, CPU, uptime).
 * </ul>
 */
public final class NodeMetrics implements AutoCloseable {
  /** How long a scrape waits for the controller and the replicas before it shows what it last knew. */
  private static final Duration ASK = Duration.ofMillis(800);
  /** The timers published as Prometheus histograms (buckets from 1 ms to 10 s). */
  private static final java.util.Set<String> LATENCY_HISTOGRAMS = java.util.Set.of(
      "junction.requests", "junction.store.sync", "junction.write.persisted", "junction.write.committed");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ClusterNode cluster;
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final MultiGauge rangeRequests;
  private final MultiGauge rangeKeys;
  private final MultiGauge rangeBytes;
  private final MultiGauge replicaEpoch;
  private final MultiGauge replicaServing;
  private final MultiGauge replicaInFlight;
  private final MultiGauge replicaLease;
  /** The controller's operators as last asked: running by kind, ended by outcome. */
  private volatile Controller.OperatorTally operators = Controller.OperatorTally.NONE;

  public NodeMetrics(ClusterNode cluster) {
    this.cluster = cluster;
    registry.config()
        .meterFilter(MeterFilter.denyNameStartsWith("grpc.server.requests.received"))
        .meterFilter(MeterFilter.denyNameStartsWith("grpc.server.responses.sent"))
        .meterFilter(MeterFilter.renameTag("grpc.server.processing.duration", "method", "op"))
        .meterFilter(MeterFilter.renameTag("grpc.server.processing.duration", "statusCode", "status"))
        .meterFilter(new MeterFilter() {
          @Override
          public Meter.Id map(Meter.Id id) {
            return id.getName().equals("grpc.server.processing.duration") ? id.withName("junction.requests") : id;
          }

          @Override
          public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
            if (!LATENCY_HISTOGRAMS.contains(id.getName())) {
              return config;
            }
            return DistributionStatisticConfig.builder().percentilesHistogram(true)
                .minimumExpectedValue((double) Duration.ofMillis(1).toNanos())
                .maximumExpectedValue((double) Duration.ofSeconds(10).toNanos())
                .build().merge(config);
          }
        });
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmCompilationMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    bindStore(cluster.store());
    bindWrites(cluster.store(), cluster.replicas().locals().timings());
    bindLeftovers(cluster.replicas().locals().leftovers());
    counter("junction.replicas.misplaced",
        "replicas Cluster Sharding started on this node while their chains place them on another (they wait"
            + " for sharding to move them; the log names each)",
        cluster.replicas().locals(), dev.junction.chain.replica.LocalReplicas::misplacedStarts);
    cluster.chainWire().ifPresent(wire -> bindWire(wire.stats()));
    bindGateway(cluster.router().stats());
    rangeRequests = MultiGauge.builder("junction.range.requests.per.second")
        .description("requests per second to the range (moving average), by kind").register(registry);
    rangeKeys = MultiGauge.builder("junction.range.keys").description("keys in the range (newest measurement)")
        .register(registry);
    rangeBytes = MultiGauge.builder("junction.range.size").baseUnit("bytes")
        .description("bytes one replica of the range holds (newest measurement)").register(registry);
    replicaEpoch = MultiGauge.builder("junction.replica.epoch").description("the epoch of the replica's chain")
        .register(registry);
    replicaServing = MultiGauge.builder("junction.replica.serving")
        .description("1 when the replica serves: in its chain here, in sync, holding its read lease").register(registry);
    replicaInFlight = MultiGauge.builder("junction.replica.writes.in.flight")
        .description("writes persisted by the replica and not yet committed by the chain's tail (sequence numbers)")
        .register(registry);
    replicaLease = MultiGauge.builder("junction.replica.lease").baseUnit("seconds")
        .description("how long the replica's read lease still runs (0: it holds none)").register(registry);
    bindCluster(org.apache.pekko.cluster.typed.Cluster.get(cluster.system()));
    for (String kind : dev.junction.sharding.placement.Move.KINDS) {
      Gauge.builder("junction.operators.running", this, m -> m.operators.running().getOrDefault(kind, 0))
          .tag("kind", kind).description("the controller's operators under way, by kind").register(registry);
    }
    for (String outcome : List.of("done", "cancelled", "expired")) {
      FunctionCounter.builder("junction.operators.ended", this, m -> m.operators.ended().getOrDefault(outcome, 0L))
          .tag("outcome", outcome).description("operators that ended since the controller took over, by outcome")
          .register(registry);
    }
  }

  /** Pekko's basics: members by status and unreachable members, as this node sees them at the scrape. */
  private void bindCluster(org.apache.pekko.cluster.typed.Cluster pekko) {
    for (org.apache.pekko.cluster.MemberStatus status : List.of(org.apache.pekko.cluster.MemberStatus.joining(),
        org.apache.pekko.cluster.MemberStatus.weaklyUp(), org.apache.pekko.cluster.MemberStatus.up(),
        org.apache.pekko.cluster.MemberStatus.leaving(), org.apache.pekko.cluster.MemberStatus.exiting(),
        org.apache.pekko.cluster.MemberStatus.down())) {
      Gauge.builder("pekko.cluster.members", pekko, c -> countMembers(c, status))
          .tag("status", status.toString()).description("cluster members as this node sees them, by status")
          .register(registry);
    }
    Gauge.builder("pekko.cluster.unreachable.members", pekko, c -> c.state().getUnreachable().size())
        .description("members this node's failure detector finds unreachable").register(registry);
  }

  private static double countMembers(org.apache.pekko.cluster.typed.Cluster c, org.apache.pekko.cluster.MemberStatus s) {
    int n = 0;
    for (org.apache.pekko.cluster.Member m : c.state().getMembers()) {
      if (m.status().equals(s)) {
        n++;
      }
    }
    return n;
  }

  private void bindStore(SsdStore store) {
    counter("junction.store.commits", "group commits (WAL records or LMDB transactions)", store, s -> s.stats().commits());
    counter("junction.store.batches", "write batches committed", store, s -> s.stats().batches());
    counter("junction.store.operations", "operations applied", store, s -> s.stats().operations());
    counter("junction.store.syncs", "syncs to stable storage (fdatasync of the WAL, synced LMDB commits)", store,
        s -> s.stats().syncs());
    counter("junction.store.flushes", "memtables written into LMDB", store, s -> s.stats().flushes());
    counter("junction.store.map.resizes", "times the LMDB map grew", store, s -> s.stats().mapResizes());
    counter("junction.store.rejected.full", "write batches refused because the store was full", store,
        s -> s.stats().rejectedFull());
    FunctionCounter.builder("junction.store.written", store, s -> s.stats().bytesWritten()).baseUnit("bytes")
        .description("key and value bytes written by puts").register(registry);
    FunctionCounter.builder("junction.store.wal.appended", store, s -> s.stats().walBytes()).baseUnit("bytes")
        .description("bytes appended to the write-ahead log").register(registry);
    Gauge.builder("junction.store.map.size", store, s -> s.stats().mapSize()).baseUnit("bytes")
        .description("the LMDB map's current size").register(registry);
    Gauge.builder("junction.store.map.limit", store, s -> s.settings().maxMapSize()).baseUnit("bytes")
        .description("the size the LMDB map may grow to").register(registry);
    Gauge.builder("junction.store.batches.per.commit", store, s -> s.stats().batchesPerCommit())
        .description("write batches per group commit since the store opened").register(registry);
  }

  /**
   * Where a write's time goes, as histograms: the WAL's syncs, and at the heads, from sequencing a write
   * to its entry durable in the head's store and to every replica having it (when the head may answer).
   */
  private void bindWrites(SsdStore store, WriteTimings timings) {
    Timer sync = latency("junction.store.sync", "syncs of the write-ahead log (fdatasync)");
    Timer persisted = latency("junction.write.persisted",
        "writes sequenced at a head, until durable in the head's store");
    Timer committed = latency("junction.write.committed",
        "writes sequenced at a head, until durable at every replica of the chain (the head may answer)");
    store.observeSyncs(nanos -> sync.record(nanos, TimeUnit.NANOSECONDS));
    // How well group commit groups: batches per commit as a distribution (the gauge beside it is the mean).
    DistributionSummary groups = DistributionSummary.builder("junction.store.group.batches")
        .description("write batches per group commit (one WAL record or LMDB transaction)")
        .serviceLevelObjectives(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256, 1024)
        .register(registry);
    store.observeGroups(groups::record);
    timings.observe(nanos -> persisted.record(nanos, TimeUnit.NANOSECONDS),
        nanos -> committed.record(nanos, TimeUnit.NANOSECONDS));
  }

  /** The chain traffic's own connections: frames, messages and bytes each way, and the reads. */
  private void bindWire(ChainWire.Stats stats) {
    wireCounter("junction.chain.wire.frames", "sent", "frames of chain messages written to other nodes",
        stats, ChainWire.Stats::framesSent);
    wireCounter("junction.chain.wire.frames", "received", "frames of chain messages read from other nodes",
        stats, ChainWire.Stats::framesReceived);
    wireCounter("junction.chain.wire.messages", "sent", "chain messages sent to other nodes (a frame carries several)",
        stats, ChainWire.Stats::messagesSent);
    wireCounter("junction.chain.wire.messages", "received", "chain messages received from other nodes",
        stats, ChainWire.Stats::messagesReceived);
    wireCounter("junction.chain.wire.bytes", "sent", "bytes of chain frames written", stats, ChainWire.Stats::bytesSent);
    wireCounter("junction.chain.wire.bytes", "received", "bytes of chain frames read", stats,
        ChainWire.Stats::bytesReceived);
    FunctionCounter.builder("junction.chain.wire.reads", stats, ChainWire.Stats::reads)
        .description("reads of incoming chain connections (a system call and a wake-up each)").register(registry);
  }

  private void wireCounter(String name, String direction, String description, ChainWire.Stats stats,
      ToDoubleFunction<ChainWire.Stats> f) {
    FunctionCounter.builder(name, stats, f).tag("direction", direction).description(description).register(registry);
  }

  private Timer latency(String name, String description) {
    return Timer.builder(name).description(description).register(registry); // a histogram: LATENCY_HISTOGRAMS
  }

  private void bindGateway(GatewayStats stats) {
    for (ClientReply.Reason reason : ClientReply.Reason.values()) {
      FunctionCounter.builder("junction.gateway.refused", stats, s -> s.refusals(reason))
          .tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT))
          .description("attempts a replica refused (the gateway refreshes its table and tries again)")
          .register(registry);
    }
    FunctionCounter.builder("junction.gateway.resent", stats, GatewayStats::resends)
        .description("requests sent again because their range got a new configuration while they waited")
        .register(registry);
    FunctionCounter.builder("junction.gateway.to.tail", stats, GatewayStats::sentToTail)
        .description("reads passed on to the tail (a write in flight for the key)").register(registry);
    FunctionCounter.builder("junction.gateway.table.refreshes", stats, GatewayStats::refreshes)
        .description("routing-table reads from a majority after a refusal").register(registry);
    FunctionCounter.builder("junction.table.stale.reads", cluster, ClusterNode::staleTableReads)
        .description("routing-table reads from a majority because a replica here heard its chain at an epoch "
            + "this node's table lacked").register(registry);
    FunctionCounter.builder("junction.replicas.behind", cluster.replicas(), ReplicaSharding::behindReports)
        .description("new copies a replica here could not catch up from its log (each is copied again)")
        .register(registry);
    FunctionCounter.builder("junction.gateway.expired", stats, GatewayStats::expiries)
        .description("requests whose deadline passed in the gateway").register(registry);
  }

  private void bindLeftovers(Leftovers leftovers) {
    counter("junction.leftovers.wiped.keys",
        "keys deleted from this node's store after the replicas that held them left their chains", leftovers,
        Leftovers::wipedKeys);
    counter("junction.leftovers.wiped.ranges", "ranges whose data a replica that left its chain had left here, wiped",
        leftovers, Leftovers::wipedRanges);
    counter("junction.leftovers.kept",
        "such wipes stopped because another replica here serves or copies those keys again", leftovers,
        Leftovers::keptRanges);
  }

  private <T> void counter(String name, String description, T source, ToDoubleFunction<T> f) {
    FunctionCounter.builder(name, source, f).description(description).register(registry);
  }

  /** The interceptor that measures every gRPC call (install it on the node's gRPC server). */
  public ServerInterceptor grpcInterceptor() {
    return new MetricCollectingServerInterceptor(registry);
  }

  /**
   * A call served over the native protocol: counted in {@code junction_requests_seconds} like a gRPC call of
   * the same method (the tags the gRPC interceptor gives, which the filters above rename).
   */
  public void nativeCall(String method, io.grpc.Status.Code status, long nanos) {
    Timer[] byStatus = nativeTimers.computeIfAbsent(method, m -> new Timer[io.grpc.Status.Code.values().length]);
    Timer timer = byStatus[status.ordinal()];
    if (timer == null) { // two callers may both register it: the registry hands both the same timer
      timer = Timer.builder("grpc.server.processing.duration")
          .tags("service", "junction.v1.Kv", "method", method, "methodType", "UNARY", "statusCode", status.name())
          .register(registry);
      byStatus[status.ordinal()] = timer;
    }
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }

  /**
   * The native calls' timers by method, then by status code, registered once each: looked up without
   * building a key or a meter on every call.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Timer[]> nativeTimers =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Refreshes what is asked at scrape time (ranges, replicas), then renders every metric. */
  public CompletionStage<String> scrape() {
    ActorSystem<?> system = cluster.system();
    CompletableFuture<Void> ranges = cluster.replicas().load(system, ASK).toCompletableFuture()
        .thenAccept(this::showRanges).exceptionally(e -> null); // keep what was last known
    CompletableFuture<Void> replicas = askReplicas().thenAccept(this::showReplicas);
    return CompletableFuture.allOf(ranges, replicas).thenApply(x -> registry.scrape());
  }

  private void showRanges(Controller.LoadView view) {
    operators = view.operators();
    List<MultiGauge.Row<?>> requests = new ArrayList<>();
    List<MultiGauge.Row<?>> keys = new ArrayList<>();
    List<MultiGauge.Row<?>> bytes = new ArrayList<>();
    for (LoadBook.RangeLoad r : view.ranges()) {
      Tags range = Tags.of("range", Long.toString(r.rangeId()));
      requests.add(MultiGauge.Row.of(range.and("kind", "read"), r.readsPerSecond()));
      requests.add(MultiGauge.Row.of(range.and("kind", "write"), r.writesPerSecond()));
      requests.add(MultiGauge.Row.of(range.and("kind", "scan"), r.scansPerSecond()));
      if (r.sized()) {
        keys.add(MultiGauge.Row.of(range, r.keys()));
        bytes.add(MultiGauge.Row.of(range, r.bytes()));
      }
    }
    rangeRequests.register(requests, true);
    rangeKeys.register(keys, true);
    rangeBytes.register(bytes, true);
  }

  private CompletableFuture<java.util.Collection<ReplicaActor.Status>> askReplicas() {
    Optional<RoutingTable> table = cluster.tables().find();
    if (table.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    return ManagementServer.askStatus(cluster, NodeReadiness.placedOn(table.get(), cluster.address().toString()))
        .thenApply(Map::values);
  }

  private void showReplicas(java.util.Collection<ReplicaActor.Status> statuses) {
    String self = cluster.address().toString();
    List<MultiGauge.Row<?>> epoch = new ArrayList<>();
    List<MultiGauge.Row<?>> serving = new ArrayList<>();
    List<MultiGauge.Row<?>> inFlight = new ArrayList<>();
    List<MultiGauge.Row<?>> lease = new ArrayList<>();
    for (ReplicaActor.Status s : statuses) {
      if (!s.node().equals(self)) {
        continue; // runs elsewhere (moving): that node reports it
      }
      Tags tags = Tags.of("replica", s.entityId(), "role", s.role());
      epoch.add(MultiGauge.Row.of(tags, s.epoch()));
      serving.add(MultiGauge.Row.of(tags, s.serving() ? 1 : 0));
      inFlight.add(MultiGauge.Row.of(tags, Math.max(0, s.lastPersisted() - s.committed())));
      lease.add(MultiGauge.Row.of(tags, s.leaseLeftNanos() / 1e9));
    }
    replicaEpoch.register(epoch, true);
    replicaServing.register(serving, true);
    replicaInFlight.register(inFlight, true);
    replicaLease.register(lease, true);
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
