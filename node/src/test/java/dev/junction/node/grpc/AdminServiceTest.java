package dev.junction.node.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.junction.client.proto.LoadResponse;
import dev.junction.client.proto.PlanResponse;
import dev.junction.client.proto.RangeLoad;
import dev.junction.sharding.placement.LoadBook;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.client.proto.PlannedMove;
import dev.junction.sharding.cluster.Controller;
import dev.junction.sharding.placement.Move;
import dev.junction.sharding.placement.MoveBook;
import dev.junction.sharding.placement.Plan;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The controller's plan in its gRPC form: every kind of move, the rejected ones, nodes and operators. */
class AdminServiceTest {
  @Test
  void aPlanReportBecomesAPlanResponse() {
    Controller.PlanReport report = new Controller.PlanReport(12, false,
        List.of(new Move.ReplicaMove(7, "a", "b", "hot"), new Move.HeadMove(8, "a", "c", "hot"),
            new Move.AddReplica(9, "d", "short"), new Move.RemoveReplica(10, "e", "long")),
        List.of(new Plan.Rejected(new Move.HeadMove(8, "b", "c", "hot"), "gains too little")),
        0.5, 0.4, 0.375, new TreeMap<>(Map.of("a", 0.4, "b", 0.2)),
        List.of(new MoveBook.Operator(3, new Move.ReplicaMove(7, "a", "b", "hot"), 71, 6,
            MoveBook.Phase.RELEASING, 1_000_000_000L, true)),
        3_500_000_000L,
        List.of(new MoveBook.Operator(2, new Move.HeadMove(5, "a", "b", "asked for"), 1, 4,
            MoveBook.Phase.CANCELLED, 3_000_000_000L, false)));
    PlanResponse r = AdminService.planResponse(report);
    assertEquals(12, r.getTableVersion());
    assertEquals(false, r.getRebalancing());
    assertEquals(List.of(
            PlannedMove.newBuilder().setKind("replica").setRangeId(7).setFromNode("a").setToNode("b").setReason("hot").build(),
            PlannedMove.newBuilder().setKind("head").setRangeId(8).setFromNode("a").setToNode("c").setReason("hot").build(),
            PlannedMove.newBuilder().setKind("add").setRangeId(9).setToNode("d").setReason("short").build(),
            PlannedMove.newBuilder().setKind("remove").setRangeId(10).setFromNode("e").setReason("long").build()),
        r.getMovesList());
    assertEquals("gains too little", r.getRejected(0).getWhy());
    assertEquals("b", r.getRejected(0).getMove().getFromNode());
    assertEquals(0.375, r.getLowerBound());
    assertEquals(List.of("a", "b"), r.getNodesList().stream().map(n -> n.getNode()).toList());
    assertEquals("releasing", r.getOperators(0).getPhase());
    assertEquals(2.5, r.getOperators(0).getSecondsInPhase(), 1e-9);
    assertEquals("cancelled", r.getEnded(0).getPhase());
    assertEquals("head", r.getEnded(0).getMove().getKind());
    assertEquals(0.5, r.getEnded(0).getSecondsInPhase(), 1e-9);
  }

  @Test
  void aLoadViewBecomesALoadResponseWithIntervalsHeadsAndEndpoints() {
    byte[] m = "m".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Controller.LoadView view = new Controller.LoadView(4, 10_000,
        List.of(new LoadBook.RangeLoad(1, 10, 2, 0.5, 20, 1100, 4, true, 40, 4400, m, 41),
            new LoadBook.RangeLoad(9, 0, 0, 0, 0, 0, 0, false, 0, 0, new byte[0], 0)),
        List.of(new LoadBook.NodeLoad("pekko://junction@127.0.0.1:1", 10, 2, 0.5, 2, 1, 4400, 11.5)));
    RoutingTable table = RoutingTable.initial(List.of(m), List.of("pekko://junction@127.0.0.1:1"), 1);
    LoadResponse r = AdminService.loadResponse(view, table, Map.of("pekko://junction@127.0.0.1:1", "127.0.0.1:7000"));
    assertEquals(4, r.getTableVersion());
    assertEquals(10_000, r.getHalfLifeMillis());
    RangeLoad one = r.getRanges(0);
    assertEquals(1, one.getRangeId());
    assertEquals("m", one.getEnd().toStringUtf8());
    assertEquals("pekko://junction@127.0.0.1:1", one.getHead());
    assertEquals(10, one.getReadsPerSecond());
    assertEquals(1100, one.getBytesOutPerSecond());
    assertEquals(4, one.getLatestReadsPerSecond());
    assertEquals(40, one.getKeys());
    assertEquals(41, one.getAppliedSeq());
    assertEquals("m", one.getMiddleKey().toStringUtf8());
    // Range 9 is not in this node's table: no interval, no head.
    assertEquals("", r.getRanges(1).getHead());
    assertEquals(false, r.getRanges(1).getSized());
    assertEquals("127.0.0.1:7000", r.getNodes(0).getGrpcEndpoint());
    assertEquals(2, r.getNodes(0).getReplicas());
    assertEquals(4400, r.getNodes(0).getBytes());
    assertEquals(11.5, r.getNodes(0).getRecentRequestsPerSecond(), 1e-9);
  }
}
