package dev.junction.node.grpc;

import com.google.protobuf.ByteString;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.client.proto.AdminGrpc;
import dev.junction.client.proto.ClusterStatusRequest;
import dev.junction.client.proto.ClusterStatusResponse;
import dev.junction.client.proto.Member;
import dev.junction.client.proto.NodeRuntime;
import dev.junction.client.proto.NodeEndpoint;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableRequest;
import dev.junction.client.proto.RoutingTableResponse;
import dev.junction.client.proto.DrainRequest;
import dev.junction.client.proto.DrainResponse;
import dev.junction.client.proto.NodeUtilization;
import dev.junction.client.proto.PlanRequest;
import dev.junction.client.proto.PlanResponse;
import dev.junction.client.proto.PlannedMove;
import dev.junction.client.proto.RejectedMove;
import dev.junction.sharding.cluster.Controller;
import dev.junction.client.proto.CancelOperatorRequest;
import dev.junction.client.proto.CancelOperatorResponse;
import dev.junction.client.proto.LoadRequest;
import dev.junction.client.proto.MoveRequest;
import dev.junction.client.proto.MoveResponse;
import dev.junction.client.proto.RebalanceRequest;
import dev.junction.client.proto.LoadResponse;
import dev.junction.sharding.placement.LoadBook;
import dev.junction.sharding.placement.Move;
import dev.junction.sharding.placement.MoveBook;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.sharding.routing.TableHolder;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.client.proto.ReplicaState;
import dev.junction.client.proto.ReplicaStatusRequest;
import dev.junction.client.proto.ReplicaStatusResponse;
import dev.junction.sharding.cluster.ReplicaSharding;
import io.grpc.Status;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;

/** {@code junction.v1.Admin} on a node: the cluster as this node sees it, and its routing table. */
public final class AdminService extends AdminGrpc.AdminImplBase {
  static final String GRPC_ROLE = "grpc=";
  /** The role by which a member announces its native endpoint ({@code native=host:port}). */
  public static final String NATIVE_ROLE = "native=";

  private static final java.time.Duration STATUS_TIMEOUT = java.time.Duration.ofSeconds(2);

  private final ActorSystem<?> system;
  private final TableHolder tables;
  private final ReplicaSharding replicas;

  public AdminService(ActorSystem<?> system, TableHolder tables, ReplicaSharding replicas) {
    this.system = system;
    this.tables = tables;
    this.replicas = replicas;
  }

  @Override
  public void replicaStatus(ReplicaStatusRequest req, StreamObserver<ReplicaStatusResponse> out) {
    Optional<RoutingTable> table = tables.find();
    if (table.isEmpty()) {
      out.onError(Status.UNAVAILABLE.withDescription("no routing table yet: the cluster is still forming").asRuntimeException());
      return;
    }
    List<CompletableFuture<ReplicaState>> asks = new ArrayList<>();
    for (RangeConfig range : table.get().ranges()) {
      for (Replica r : range.chain()) {
        ReplicaState.Builder base =
            ReplicaState.newBuilder().setRangeId(range.rangeId()).setSlot(r.slot()).setNode(r.node());
        asks.add(
            replicas.replica(range.replicaId(r.slot()))
                .ask(ReplicaActor.GetStatus::new, STATUS_TIMEOUT)
                .toCompletableFuture()
                .handle((s, e) -> e != null ? base.setAnswered(false).build()
                    : base.setAnswered(true).setRunningOn(s.node()).setServing(s.serving()).setRole(s.role())
                        .setEpoch(s.epoch()).setLastPersisted(s.lastPersisted()).setCommitted(s.committed()).build()));
      }
    }
    CompletableFuture.allOf(asks.toArray(new CompletableFuture<?>[0]))
        .whenComplete((v, e) -> {
          ReplicaStatusResponse.Builder b = ReplicaStatusResponse.newBuilder().setTableVersion(table.get().version());
          asks.forEach(a -> b.addReplicas(a.join()));
          out.onNext(b.build());
          out.onCompleted();
        });
  }

  @Override
  public void plan(PlanRequest req, StreamObserver<PlanResponse> out) {
    fromController(replicas.plan(system, STATUS_TIMEOUT), out, AdminService::planResponse);
  }

  @Override
  public void drain(DrainRequest req, StreamObserver<DrainResponse> out) {
    String node = req.getNode().trim();
    if (node.isEmpty()) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("name the node to drain (its cluster address or gRPC endpoint)")
          .asRuntimeException());
      return;
    }
    String address = addressOf(node);
    replicas.drain(system, address, req.getCancel(), STATUS_TIMEOUT).whenComplete((state, e) -> {
      if (e != null) {
        out.onError(Status.UNAVAILABLE.withDescription("the controller did not answer (" + e.getMessage() + "); try again")
            .asRuntimeException());
      } else if (!state.refused().isEmpty()) {
        out.onError(Status.FAILED_PRECONDITION.withDescription(state.refused()).asRuntimeException());
      } else {
        out.onNext(DrainResponse.newBuilder().setNode(state.node()).setDraining(state.draining())
            .setReplicas(state.replicas()).build());
        out.onCompleted();
      }
    });
  }

  @Override
  public void load(LoadRequest req, StreamObserver<LoadResponse> out) {
    fromController(replicas.load(system, STATUS_TIMEOUT), out,
        view -> loadResponse(view, tables.find().orElse(null), endpoints()));
  }

  /** Every member's gRPC endpoint by cluster address (members that announce one). */
  private java.util.Map<String, String> endpoints() {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    for (org.apache.pekko.cluster.Member m : Cluster.get(system).state().getMembers()) {
      for (String role : m.getRoles()) {
        if (role.startsWith(GRPC_ROLE)) {
          out.put(m.address().toString(), role.substring(GRPC_ROLE.length()));
        }
      }
    }
    return out;
  }

  /**
   * The gRPC form of the controller's load statistics; each range's interval and head come from
   * {@code table} (this node's, possibly a version apart from the controller's: a range it does not know
   * has them empty).
   */
  static LoadResponse loadResponse(Controller.LoadView view, RoutingTable table, java.util.Map<String, String> endpoints) {
    LoadResponse.Builder b = LoadResponse.newBuilder()
        .setTableVersion(view.tableVersion())
        .setHalfLifeMillis(view.halfLifeMillis());
    for (LoadBook.RangeLoad r : view.ranges()) {
      dev.junction.client.proto.RangeLoad.Builder rb = dev.junction.client.proto.RangeLoad.newBuilder()
          .setRangeId(r.rangeId())
          .setReadsPerSecond(r.readsPerSecond())
          .setWritesPerSecond(r.writesPerSecond())
          .setScansPerSecond(r.scansPerSecond())
          .setBytesInPerSecond(r.bytesInPerSecond())
          .setBytesOutPerSecond(r.bytesOutPerSecond())
          .setLatestReadsPerSecond(r.latestReadsPerSecond())
          .setSized(r.sized())
          .setKeys(r.keys())
          .setBytes(r.bytes())
          .setAppliedSeq(r.appliedSeq())
          .setMiddleKey(ByteString.copyFrom(r.middleKey()));
      Optional<RangeConfig> config = table == null ? Optional.empty() : table.range(r.rangeId());
      config.ifPresent(c -> rb.setStart(ByteString.copyFrom(c.start())).setEnd(ByteString.copyFrom(c.end()))
          .setHead(c.head().node()));
      b.addRanges(rb);
    }
    for (LoadBook.NodeLoad n : view.nodes()) {
      b.addNodes(dev.junction.client.proto.NodeLoad.newBuilder()
          .setNode(n.node())
          .setGrpcEndpoint(endpoints.getOrDefault(n.node(), ""))
          .setReadsPerSecond(n.readsPerSecond())
          .setWritesPerSecond(n.writesPerSecond())
          .setScansPerSecond(n.scansPerSecond())
          .setReplicas(n.replicas())
          .setHeads(n.heads())
          .setBytes(n.bytes())
          .setRecentRequestsPerSecond(n.recentRequestsPerSecond()));
    }
    return b.build();
  }

  /** A node's cluster address for its address or its gRPC endpoint (as the members announce it). */
  private String addressOf(String node) {
    for (java.util.Map.Entry<String, String> e : endpoints().entrySet()) {
      if (e.getValue().equals(node)) {
        return e.getKey();
      }
    }
    return node;
  }

  /** The gRPC form of the controller's plan. */
  static PlanResponse planResponse(Controller.PlanReport report) {
    PlanResponse.Builder b = PlanResponse.newBuilder()
        .setTableVersion(report.tableVersion())
        .setRebalancing(report.rebalancing())
        .setUtilizationBefore(report.before())
        .setUtilizationAfter(report.after())
        .setLowerBound(report.lowerBound());
    report.moves().forEach(m -> b.addMoves(move(m)));
    report.rejected().forEach(r -> b.addRejected(RejectedMove.newBuilder().setMove(move(r.move())).setWhy(r.why())));
    report.utilization().forEach((node, u) -> b.addNodes(NodeUtilization.newBuilder().setNode(node).setUtilization(u)));
    report.operators().forEach(op -> b.addOperators(operator(op, report.clockNanos())));
    report.ended().forEach(op -> b.addEnded(operator(op, report.clockNanos())));
    return b.build();
  }

  static dev.junction.client.proto.Operator operator(MoveBook.Operator op, long clockNanos) {
    return dev.junction.client.proto.Operator.newBuilder()
        .setId(op.id())
        .setMove(move(op.move()))
        .setPhase(op.phase().name().toLowerCase(java.util.Locale.ROOT))
        .setSecondsInPhase(Math.max(0, clockNanos - op.phaseSince()) / 1e9)
        .build();
  }

  @Override
  public void move(MoveRequest req, StreamObserver<MoveResponse> out) {
    String from = req.getFromNode().trim();
    String to = req.getToNode().trim();
    if (from.isEmpty() || to.isEmpty()) {
      out.onError(Status.INVALID_ARGUMENT.withDescription("name both nodes (cluster address or gRPC endpoint)")
          .asRuntimeException());
      return;
    }
    fromController(replicas.startMove(system, req.getRangeId(), addressOf(from), addressOf(to), STATUS_TIMEOUT),
        out, AdminService::started);
  }

  @Override
  public void split(dev.junction.client.proto.SplitRequest req, StreamObserver<MoveResponse> out) {
    fromController(replicas.startSplit(system, req.getRangeId(), req.getAt().toByteArray(), STATUS_TIMEOUT),
        out, AdminService::started);
  }

  @Override
  public void merge(dev.junction.client.proto.MergeRequest req, StreamObserver<MoveResponse> out) {
    fromController(replicas.startMerge(system, req.getRangeId(), STATUS_TIMEOUT),
        out, AdminService::started);
  }

  @Override
  public void cancelOperator(CancelOperatorRequest req, StreamObserver<CancelOperatorResponse> out) {
    fromController(replicas.cancelMove(system, req.getId(), STATUS_TIMEOUT), out,
        cancelled -> CancelOperatorResponse.newBuilder()
            .setOperator(operator(refusedOr(cancelled, Status.NOT_FOUND), cancelled.clockNanos())).build());
  }

  @Override
  public void rebalance(RebalanceRequest req, StreamObserver<PlanResponse> out) {
    fromController(replicas.applyPlan(system, STATUS_TIMEOUT), out, AdminService::planResponse);
  }

  /**
   * Answers {@code out} with what {@code answer} makes of the controller's reply; a refusal is thrown by
   * {@code answer} as the status to answer with; UNAVAILABLE when the controller did not answer.
   */
  private static <T, R> void fromController(
      java.util.concurrent.CompletionStage<T> ask, StreamObserver<R> out, java.util.function.Function<T, R> answer) {
    ask.whenComplete((reply, e) -> {
      if (e != null) {
        out.onError(controllerSilent(e));
        return;
      }
      R response;
      try {
        response = answer.apply(reply);
      } catch (io.grpc.StatusRuntimeException refused) {
        out.onError(refused);
        return;
      }
      out.onNext(response);
      out.onCompleted();
    });
  }

  /** The answer to a move, split or merge the controller started; its refusal as FAILED_PRECONDITION. */
  private static MoveResponse started(Controller.MoveStarted started) {
    return MoveResponse.newBuilder()
        .setOperator(operator(refusedOr(started, Status.FAILED_PRECONDITION), started.clockNanos())).build();
  }

  /** The operator a move or cancel answered, or its refusal thrown with {@code status}. */
  private static MoveBook.Operator refusedOr(Controller.MoveStarted reply, Status status) {
    if (!reply.refused().isEmpty()) {
      throw status.withDescription(reply.refused()).asRuntimeException();
    }
    return reply.operator().orElseThrow();
  }

  private static io.grpc.StatusRuntimeException controllerSilent(Throwable e) {
    return Status.UNAVAILABLE
        .withDescription("the controller did not answer (" + e.getMessage() + "): the cluster may be forming"
            + " or its controller moving; try again")
        .asRuntimeException();
  }

  private static PlannedMove move(Move m) {
    PlannedMove.Builder b = PlannedMove.newBuilder().setRangeId(m.rangeId()).setReason(m.reason());
    if (m instanceof Move.ReplicaMove r) {
      b.setKind("replica").setFromNode(r.from()).setToNode(r.to());
    } else if (m instanceof Move.HeadMove h) {
      b.setKind("head").setFromNode(h.from()).setToNode(h.to());
    } else if (m instanceof Move.AddReplica a) {
      b.setKind("add").setToNode(a.to());
    } else if (m instanceof Move.RemoveReplica r) {
      b.setKind("remove").setFromNode(r.from());
    } else if (m instanceof Move.SplitRange sp) {
      b.setKind("split").setSplitKey(com.google.protobuf.ByteString.copyFrom(sp.at()))
          .setLeftId(sp.leftId()).setRightId(sp.rightId());
    } else if (m instanceof Move.MergeRanges merge) {
      b.setKind("merge").setMergeWith(merge.rightId()).setMergedId(merge.mergedId());
    }
    return b.build();
  }

  /** This JVM's uptime, CPU time and JIT compile time. */
  static NodeRuntime runtime() {
    NodeRuntime.Builder b = NodeRuntime.newBuilder()
        .setUptimeMillis(ManagementFactory.getRuntimeMXBean().getUptime())
        .setProcessors(Runtime.getRuntime().availableProcessors());
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    if (jit != null && jit.isCompilationTimeMonitoringSupported()) {
      b.setJitMillis(jit.getTotalCompilationTime());
    }
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        && os.getProcessCpuTime() > 0) {
      b.setCpuMillis(os.getProcessCpuTime() / 1_000_000);
    }
    return b.build();
  }

  @Override
  public void clusterStatus(ClusterStatusRequest req, StreamObserver<ClusterStatusResponse> out) {
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    ClusterStatusResponse.Builder b =
        ClusterStatusResponse.newBuilder()
            .setSelf(cluster.selfMember().address().toString())
            .setTableVersion(tables.version())
            .setRuntime(runtime());
    Optional.ofNullable(state.getLeader()).ifPresent(l -> b.setLeader(l.toString()));
    state
        .getMembers()
        .forEach(
            m -> {
              Member.Builder mb =
                  Member.newBuilder()
                      .setAddress(m.address().toString())
                      .setStatus(m.status().toString())
                      .setReachable(!state.getUnreachable().contains(m));
              for (String role : m.getRoles()) {
                if (role.startsWith(GRPC_ROLE)) {
                  mb.setGrpcEndpoint(role.substring(GRPC_ROLE.length()));
                } else if (role.startsWith(NATIVE_ROLE)) {
                  mb.setNativeEndpoint(role.substring(NATIVE_ROLE.length()));
                } else if (!role.startsWith("dc-")) {
                  mb.addRoles(role);
                }
              }
              b.addMembers(mb);
            });
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void routingTable(RoutingTableRequest req, StreamObserver<RoutingTableResponse> out) {
    Optional<RoutingTable> table = tables.find();
    if (table.isEmpty()) {
      out.onError(Status.UNAVAILABLE.withDescription("no routing table yet: the cluster is still forming").asRuntimeException());
      return;
    }
    RoutingTableResponse.Builder b = RoutingTableResponse.newBuilder().setVersion(table.get().version());
    for (org.apache.pekko.cluster.Member m : Cluster.get(system).state().getMembers()) {
      NodeEndpoint.Builder e = NodeEndpoint.newBuilder().setNode(m.address().toString());
      for (String role : m.getRoles()) {
        if (role.startsWith(GRPC_ROLE)) {
          e.setGrpcEndpoint(role.substring(GRPC_ROLE.length()));
        } else if (role.startsWith(NATIVE_ROLE)) {
          e.setNativeEndpoint(role.substring(NATIVE_ROLE.length()));
        }
      }
      if (!e.getGrpcEndpoint().isEmpty()) {
        b.addEndpoints(e);
      }
    }
    for (RangeConfig r : table.get().ranges()) {
      RangeInfo.Builder rb =
          RangeInfo.newBuilder()
              .setRangeId(r.rangeId())
              .setStart(ByteString.copyFrom(r.start()))
              .setEnd(ByteString.copyFrom(r.end()))
              .setEpoch(r.epoch());
      for (Replica replica : r.chain()) {
        rb.addChain(ReplicaInfo.newBuilder().setSlot(replica.slot()).setNode(replica.node()));
      }
      b.addRanges(rb);
    }
    out.onNext(b.build());
    out.onCompleted();
  }
}
