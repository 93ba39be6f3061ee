package dev.junction.client.fake;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.AdminGrpc;
import dev.junction.client.proto.ClusterStatusRequest;
import dev.junction.client.proto.DrainRequest;
import dev.junction.client.proto.DrainResponse;
import dev.junction.client.proto.NodeUtilization;
import dev.junction.client.proto.Operator;
import dev.junction.client.proto.CancelOperatorRequest;
import dev.junction.client.proto.CancelOperatorResponse;
import dev.junction.client.proto.LoadRequest;
import dev.junction.client.proto.MoveRequest;
import dev.junction.client.proto.MoveResponse;
import dev.junction.client.proto.RebalanceRequest;
import dev.junction.client.proto.LoadResponse;
import dev.junction.client.proto.NodeLoad;
import dev.junction.client.proto.PlanRequest;
import dev.junction.client.proto.RangeLoad;
import dev.junction.client.proto.PlanResponse;
import dev.junction.client.proto.PlannedMove;
import dev.junction.client.proto.RejectedMove;
import dev.junction.client.proto.ClusterStatusResponse;
import dev.junction.client.proto.Member;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableRequest;
import dev.junction.client.proto.ReplicaState;
import dev.junction.client.proto.ReplicaStatusRequest;
import dev.junction.client.proto.ReplicaStatusResponse;
import dev.junction.client.proto.RoutingTableResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * A fake {@code Admin} service answering with a fixed cluster status and routing table: by default
 * {@link #SAMPLE_STATUS} and {@link #SAMPLE_TABLE}; both can be replaced.
 */
public final class FakeAdmin extends AdminGrpc.AdminImplBase {
  /** Cluster address of the sample nodes a, b and c. */
  public static final String NODE_A = "pekko://junction@127.0.0.1:25520";
  /** Cluster address of sample node b. */
  public static final String NODE_B = "pekko://junction@127.0.0.1:25521";
  /** Cluster address of sample node c. */
  public static final String NODE_C = "pekko://junction@127.0.0.1:25522";

  /** Three members, a is self and leader, c is unreachable. */
  public static final ClusterStatusResponse SAMPLE_STATUS =
      ClusterStatusResponse.newBuilder()
          .setSelf(NODE_A)
          .setLeader(NODE_A)
          .setTableVersion(7)
          .setRuntime(dev.junction.client.proto.NodeRuntime.newBuilder()
              .setUptimeMillis(3_723_000).setCpuMillis(95_400).setJitMillis(61_200).setProcessors(2))
          .addMembers(member(NODE_A, "Up", true, "127.0.0.1:7070"))
          .addMembers(member(NODE_B, "Up", true, "127.0.0.1:7071"))
          .addMembers(member(NODE_C, "Leaving", false, "127.0.0.1:7072"))
          .build();

  /** Two ranges split at "m": [-inf, m) on a, b, c and [m, +inf) on b, c. */
  public static final RoutingTableResponse SAMPLE_TABLE =
      RoutingTableResponse.newBuilder()
          .setVersion(7)
          .addRanges(range(1, "", "m", 3, replica(0, NODE_A), replica(1, NODE_B), replica(2, NODE_C)))
          .addRanges(range(2, "m", "", 1, replica(0, NODE_B), replica(2, NODE_C)))
          .build();

  /** Replicas of range 1: a and b serve, c's replica still runs on b (sharding is moving it). */
  public static final ReplicaStatusResponse SAMPLE_REPLICAS =
      ReplicaStatusResponse.newBuilder()
          .setTableVersion(7)
          .addReplicas(ReplicaState.newBuilder().setRangeId(1).setSlot(0).setNode(NODE_A).setAnswered(true)
              .setRunningOn(NODE_A).setServing(true).setRole("head").setEpoch(3).setLastPersisted(12).setCommitted(11))
          .addReplicas(ReplicaState.newBuilder().setRangeId(1).setSlot(1).setNode(NODE_B).setAnswered(true)
              .setRunningOn(NODE_B).setServing(true).setRole("tail").setEpoch(3).setLastPersisted(11).setCommitted(11))
          .addReplicas(ReplicaState.newBuilder().setRangeId(1).setSlot(2).setNode(NODE_C).setAnswered(false))
          .build();

  /** A plan: one head move, one rejected replica move, three nodes, one replica move under way. */
  public static final PlanResponse SAMPLE_PLAN =
      PlanResponse.newBuilder()
          .setTableVersion(9)
          .setRebalancing(true)
          .setUtilizationBefore(0.5)
          .setUtilizationAfter(0.4)
          .setLowerBound(0.375)
          .addMoves(PlannedMove.newBuilder().setKind("head").setRangeId(2).setFromNode(NODE_A).setToNode(NODE_C)
              .setReason("node A is above the mean"))
          .addRejected(RejectedMove.newBuilder()
              .setMove(PlannedMove.newBuilder().setKind("replica").setRangeId(1).setFromNode(NODE_B).setToNode(NODE_C))
              .setWhy("gains too little"))
          .addNodes(NodeUtilization.newBuilder().setNode(NODE_A).setUtilization(0.4))
          .addNodes(NodeUtilization.newBuilder().setNode(NODE_B).setUtilization(0.2))
          .addNodes(NodeUtilization.newBuilder().setNode(NODE_C).setUtilization(0.4))
          .addOperators(Operator.newBuilder().setId(3).setPhase("copying").setSecondsInPhase(2.25)
              .setMove(PlannedMove.newBuilder().setKind("replica").setRangeId(4).setFromNode(NODE_A).setToNode(NODE_B)))
          .build();

  /** Load: range 1 busy and measured, range 2 idle and not measured yet; a serves reads, b writes. */
  public static final LoadResponse SAMPLE_LOAD =
      LoadResponse.newBuilder()
          .setTableVersion(7)
          .setHalfLifeMillis(10_000)
          .addRanges(RangeLoad.newBuilder().setRangeId(1).setEnd(ByteString.copyFromUtf8("m")).setHead(NODE_A)
              .setReadsPerSecond(120.25).setWritesPerSecond(30).setBytesInPerSecond(33_000)
              .setBytesOutPerSecond(132_000).setSized(true).setKeys(40_000).setBytes(45_000_000).setAppliedSeq(41_000)
              .setMiddleKey(ByteString.copyFromUtf8("g")))
          .addRanges(RangeLoad.newBuilder().setRangeId(2).setStart(ByteString.copyFromUtf8("m")).setHead(NODE_B))
          .addNodes(NodeLoad.newBuilder().setNode(NODE_A).setGrpcEndpoint("127.0.0.1:7070").setReadsPerSecond(120.25)
              .setReplicas(1).setHeads(1).setBytes(45_000_000))
          .addNodes(NodeLoad.newBuilder().setNode(NODE_B).setGrpcEndpoint("127.0.0.1:7071").setWritesPerSecond(30)
              .setReplicas(2).setHeads(1).setBytes(45_000_000))
          .addNodes(NodeLoad.newBuilder().setNode(NODE_C).setReplicas(2).setBytes(45_000_000))
          .build();

  private volatile LoadResponse load = SAMPLE_LOAD;
  private volatile ClusterStatusResponse status = SAMPLE_STATUS;
  private volatile RoutingTableResponse table = SAMPLE_TABLE;
  private volatile Status failure;
  private final java.util.concurrent.atomic.AtomicInteger tableCalls = new java.util.concurrent.atomic.AtomicInteger();

  /** Replaces the cluster status answered. */
  public void status(ClusterStatusResponse status) {
    this.status = status;
  }

  /** Replaces the routing table answered. */
  public void table(RoutingTableResponse table) {
    this.table = table;
  }

  /** Answers every call with {@code status} (null: serve normally again). */
  public void failWith(Status status) {
    this.failure = status;
  }

  @Override
  public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
    answer(status, out);
  }

  @Override
  public void replicaStatus(ReplicaStatusRequest request, StreamObserver<ReplicaStatusResponse> out) {
    answer(SAMPLE_REPLICAS, out);
  }

  @Override
  public void routingTable(RoutingTableRequest request, StreamObserver<RoutingTableResponse> out) {
    tableCalls.incrementAndGet();
    answer(table, out);
  }

  /** Replaces the load answered (null: the controller does not answer, UNAVAILABLE). */
  public void load(LoadResponse load) {
    this.load = load;
  }

  @Override
  public void load(LoadRequest request, StreamObserver<LoadResponse> out) {
    LoadResponse l = load;
    if (l == null && failure == null) {
      out.onError(Status.UNAVAILABLE.withDescription("the controller did not answer").asRuntimeException());
      return;
    }
    answer(l, out);
  }

  /** The operator a Move or Rebalance started; Plan calls then show it copying, joining, then done. */
  private volatile Operator started;
  private final java.util.concurrent.atomic.AtomicInteger plansSinceStart = new java.util.concurrent.atomic.AtomicInteger();

  @Override
  public void plan(PlanRequest request, StreamObserver<PlanResponse> out) {
    Operator op = started;
    if (op == null) {
      answer(SAMPLE_PLAN, out);
      return;
    }
    int n = plansSinceStart.incrementAndGet();
    PlanResponse.Builder b = SAMPLE_PLAN.toBuilder().clearOperators();
    if (n == 1) {
      b.addOperators(op);
    } else if (n == 2) {
      String second = switch (op.getPhase()) {
        case "promoting" -> "promoting";
        case "reserving" -> op.getMove().getKind().equals("merge") ? "merging" : "sealing";
        default -> "joining";
      };
      b.addOperators(op.toBuilder().setPhase(second));
    } else {
      b.addEnded(op.toBuilder().setPhase("done"));
    }
    answer(b.build(), out);
  }

  /** Range 1 moves from B to A as operator 5; any other range is unknown. */
  @Override
  public void move(MoveRequest request, StreamObserver<MoveResponse> out) {
    if (request.getRangeId() != 1) {
      answerFailure(Status.FAILED_PRECONDITION.withDescription("there is no range " + request.getRangeId()), out);
      return;
    }
    Operator op = Operator.newBuilder().setId(5).setPhase("copying")
        .setMove(PlannedMove.newBuilder().setKind("replica").setRangeId(1).setFromNode(request.getFromNode())
            .setToNode(request.getToNode()).setReason("asked for"))
        .build();
    start(op, out);
  }

  /**
   * Range 1 splits at the key asked for (at "m" when none is given) into ranges 10 and 11, as operator 7;
   * a key outside [, "m") or another range is refused.
   */
  @Override
  public void split(dev.junction.client.proto.SplitRequest request, StreamObserver<MoveResponse> out) {
    if (request.getRangeId() != 1) {
      answerFailure(Status.FAILED_PRECONDITION.withDescription("there is no range " + request.getRangeId()), out);
      return;
    }
    com.google.protobuf.ByteString at = request.getAt().isEmpty()
        ? com.google.protobuf.ByteString.copyFromUtf8("g") : request.getAt();
    if (at.toStringUtf8().compareTo("m") >= 0) {
      answerFailure(Status.FAILED_PRECONDITION.withDescription("'" + at.toStringUtf8()
          + "' is not strictly inside range 1"), out);
      return;
    }
    Operator op = Operator.newBuilder().setId(7).setPhase("reserving")
        .setMove(PlannedMove.newBuilder().setKind("split").setRangeId(1).setSplitKey(at).setLeftId(10).setRightId(11)
            .setReason("asked for"))
        .build();
    start(op, out);
  }

  /** Range 1 merges with range 2 into range 12, as operator 8; any other range is refused. */
  @Override
  public void merge(dev.junction.client.proto.MergeRequest request, StreamObserver<MoveResponse> out) {
    if (request.getRangeId() != 1) {
      answerFailure(Status.FAILED_PRECONDITION.withDescription("range " + request.getRangeId()
          + " is the last range: it has no range after it to merge with"), out);
      return;
    }
    Operator op = Operator.newBuilder().setId(8).setPhase("reserving")
        .setMove(PlannedMove.newBuilder().setKind("merge").setRangeId(1).setMergeWith(2).setMergedId(12)
            .setReason("asked for"))
        .build();
    start(op, out);
  }

  /** Answers {@code op} as started: the next Plan calls show it going through its phases. */
  private void start(Operator op, StreamObserver<MoveResponse> out) {
    plansSinceStart.set(0);
    started = op;
    answer(MoveResponse.newBuilder().setOperator(op).build(), out);
  }

  /** Starts SAMPLE_PLAN's head move as operator 6. */
  @Override
  public void rebalance(RebalanceRequest request, StreamObserver<PlanResponse> out) {
    Operator op = Operator.newBuilder().setId(6).setPhase("promoting").setMove(SAMPLE_PLAN.getMoves(0)).build();
    plansSinceStart.set(0);
    started = op;
    answer(SAMPLE_PLAN.toBuilder().addOperators(op).build(), out);
  }

  /** Operator 3 (SAMPLE_PLAN's) is cancelled; others are not found. */
  @Override
  public void cancelOperator(CancelOperatorRequest request, StreamObserver<CancelOperatorResponse> out) {
    if (request.getId() != 3) {
      answerFailure(Status.NOT_FOUND.withDescription("no operator " + request.getId() + " is under way"), out);
      return;
    }
    answer(CancelOperatorResponse.newBuilder()
        .setOperator(SAMPLE_PLAN.getOperators(0).toBuilder().setPhase("cancelled")).build(), out);
  }

  private final java.util.concurrent.atomic.AtomicInteger drainCalls = new java.util.concurrent.atomic.AtomicInteger();

  /** Drains count down: the first answer says 2 replicas are on the node, the next 1, then none. */
  @Override
  public void drain(DrainRequest request, StreamObserver<DrainResponse> out) {
    if (!request.getNode().equals(NODE_C) && !request.getNode().equals("127.0.0.1:7072")) {
      answerFailure(Status.FAILED_PRECONDITION.withDescription("node " + request.getNode() + " is not an up member"), out);
      return;
    }
    int left = request.getCancel() ? 2 : Math.max(0, 2 - drainCalls.getAndIncrement());
    answer(DrainResponse.newBuilder().setNode(NODE_C).setDraining(!request.getCancel()).setReplicas(left).build(), out);
  }

  private static <T> void answerFailure(Status status, StreamObserver<T> out) {
    out.onError(status.asRuntimeException());
  }

  /** {@code RoutingTable} calls received. */
  public int tableCalls() {
    return tableCalls.get();
  }

  private <T> void answer(T answer, StreamObserver<T> out) {
    Status f = failure;
    if (f != null) {
      out.onError(f.asRuntimeException());
      return;
    }
    out.onNext(answer);
    out.onCompleted();
  }

  private static Member member(String address, String state, boolean reachable, String grpc) {
    return Member.newBuilder()
        .setAddress(address)
        .setStatus(state)
        .setReachable(reachable)
        .setGrpcEndpoint(grpc)
        .addRoles("storage")
        .build();
  }

  /** A replica of a routing table, for tests that build their own. */
  public static ReplicaInfo replica(int slot, String node) {
    return ReplicaInfo.newBuilder().setSlot(slot).setNode(node).build();
  }

  /** A range of a routing table, for tests that build their own. */
  public static RangeInfo range(long id, String start, String end, long epoch, ReplicaInfo... chain) {
    return RangeInfo.newBuilder()
        .setRangeId(id)
        .setStart(ByteString.copyFromUtf8(start))
        .setEnd(ByteString.copyFromUtf8(end))
        .setEpoch(epoch)
        .addAllChain(java.util.List.of(chain))
        .build();
  }
}
