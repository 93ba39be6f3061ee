package dev.junction.sharding.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.sharding.routing.RoutingTable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The placement planner on fixtures (nodes and ranges with loads to expected moves) and random clusters. */
class PlannerTest {
  private static final long GB = 1L << 30;
  /** No limits: every move at once, so that one plan shows the whole way. */
  private static final PlacementSettings UNLIMITED = new PlacementSettings(0.10, 1000, 1000, 1000, 1.0);

  // ------------------------------------------------------------------------------------ checkers

  @Test
  void aDrainingNodeGivesAwayEveryReplicaAFewAtATime() {
    RoutingTable table = table("a,b,c", "b,c,d", "c,d,a", "d,a,b", "a,c,d", "b,d,c");
    List<NodeSpec> nodes = uniform("a", "b", "c", "d", "e");
    nodes.set(2, nodes.get(2).in(NodeSpec.State.DRAINING));
    Map<Long, RangeStats> stats = even(6, 1 << 20, 10, 10);

    Plan first = new Planner(PlacementSettings.DEFAULTS).plan(table, nodes, stats, 3, List.of());
    assertEquals(2, first.moves().size(), "at most 2 moves involve the draining node at once: " + first.moves());
    for (Move m : first.moves()) {
      Move.ReplicaMove r = (Move.ReplicaMove) m;
      assertEquals("c", r.from());
      assertEquals("node c is draining", r.reason());
      assertFalse(chainOf(table, r.rangeId()).contains(r.to()), "to a node outside the chain");
    }
    assertTrue(first.rejected().stream().anyMatch(r -> r.why().contains("busy")), first.rejected().toString());
    assertEquals(2, first.moves().stream().map(m -> ((Move.ReplicaMove) m).to()).distinct().count(),
        "to two nodes, one copy each: " + first.moves());

    RoutingTable end = converge(table, nodes, stats, 3, PlacementSettings.DEFAULTS);
    for (RangeConfig r : end.ranges()) {
      assertFalse(nodesOf(r).contains("c"), "range " + r.rangeId() + " left c: " + nodesOf(r));
      assertEquals(3, new HashSet<>(nodesOf(r)).size());
    }
  }

  @Test
  void replicasOnADownNodeMoveAndAShortChainGetsAReplica() {
    RoutingTable table = table("a,b,x", "b,c", "c,a,b");
    List<NodeSpec> nodes = uniform("a", "b", "c"); // x is not listed: down
    Plan plan = new Planner(UNLIMITED).plan(table, nodes, even(3, 1000, 1, 1), 3, List.of());
    assertTrue(plan.moves().contains(new Move.ReplicaMove(1, "x", "c", "node x is down")), plan.moves().toString());
    assertTrue(plan.moves().contains(new Move.AddReplica(2, "a", "the chain has 2 of 3 replicas")),
        plan.moves().toString());
    assertEquals(2, plan.moves().size(), "nothing else: the rest is balanced");
  }

  @Test
  void aChainLongerThanTheReplicationFactorLosesItsMostUtilizedMemberButNotItsHead() {
    RoutingTable table = table("a,b,c,d", "b,c,d", "c,d,b");
    Map<Long, RangeStats> stats = new TreeMap<>(even(3, 1000, 1, 1));
    stats.put(3L, new RangeStats(3, 1000, 1, 5)); // c heads the range written most
    Plan plan = new Planner(UNLIMITED).plan(table, uniform("a", "b", "c", "d"), stats, 3, List.of());
    assertEquals(new Move.RemoveReplica(1, "c", "the chain has 4 of 3 replicas"), plan.moves().get(0), plan.toString());
    // A move that already joined its new replica is not a chain too long: only its removal is left.
    Plan moving = new Planner(UNLIMITED).plan(table, uniform("a", "b", "c", "d"), even(3, 1000, 1, 1), 3,
        List.of(new Move.ReplicaMove(1, "b", "d", "earlier")));
    assertTrue(moving.moves().stream().noneMatch(m -> m instanceof Move.RemoveReplica), moving.toString());
  }

  @Test
  void aRangeWithTwoReplicasInOneRackMovesOneToARackItDoesNotUse() {
    RoutingTable table = table("a,b,c");
    List<NodeSpec> nodes = List.of(
        new NodeSpec("a", "r1", GB, 1000, NodeSpec.State.UP),
        new NodeSpec("b", "r1", GB, 1000, NodeSpec.State.UP),
        new NodeSpec("c", "r2", GB, 1000, NodeSpec.State.UP),
        new NodeSpec("d", "r2", GB, 1000, NodeSpec.State.UP),
        new NodeSpec("e", "r3", GB, 1000, NodeSpec.State.UP));
    Plan plan = new Planner(UNLIMITED).plan(table, nodes, even(1, 1000, 1, 1), 3, List.of());
    assertEquals(1, plan.moves().size(), plan.toString());
    Move.ReplicaMove m = (Move.ReplicaMove) plan.moves().get(0);
    assertTrue(Set.of("a", "b").contains(m.from()));
    assertEquals("e", m.to(), "the one node in a rack the range does not use");
    assertEquals("two replicas in rack r1", m.reason());
  }

  @Test
  void withTooFewRacksTheRackRuleGivesWayAndProposesNothing() {
    RoutingTable table = table("a,b,c");
    List<NodeSpec> nodes = List.of(
        new NodeSpec("a", "r1", GB, 1000, NodeSpec.State.UP),
        new NodeSpec("b", "r1", GB, 1000, NodeSpec.State.UP),
        new NodeSpec("c", "r2", GB, 1000, NodeSpec.State.UP));
    assertTrue(new Planner(UNLIMITED).plan(table, nodes, even(1, 1000, 1, 1), 3, List.of()).isEmpty());
  }

  // ------------------------------------------------------------------------------------ balancer

  @Test
  void aNewNodeTakesItsShareOfReplicas() {
    String[] chains = new String[12];
    for (int i = 0; i < chains.length; i++) {
      chains[i] = List.of("a,b,c", "b,c,a", "c,a,b").get(i % 3);
    }
    RoutingTable table = table(chains);
    List<NodeSpec> nodes = uniform("a", "b", "c", "d");
    Map<Long, RangeStats> stats = even(12, 64L << 20, 100, 100);

    Plan first = new Planner(PlacementSettings.DEFAULTS).plan(table, nodes, stats, 3, List.of());
    List<Move> copies = first.moves().stream().filter(m -> m instanceof Move.ReplicaMove).toList();
    assertEquals(1, copies.size(), "one copy into the new node at a time: " + first);
    copies.forEach(m -> assertEquals("d", ((Move.ReplicaMove) m).to()));
    // The plan may also hand a head on among the others.
    assertTrue(first.moves().stream().allMatch(m -> m instanceof Move.ReplicaMove || m instanceof Move.HeadMove),
        first.toString());

    RoutingTable end = converge(table, nodes, stats, 3, PlacementSettings.DEFAULTS);
    Map<String, Integer> replicas = count(end, false);
    assertTrue(replicas.get("d") >= 8, "36 replicas on 4 nodes, d has " + replicas);
    Plan last = new Planner(PlacementSettings.DEFAULTS).plan(end, nodes, stats, 3, List.of());
    assertTrue(last.isEmpty(), "converged: " + last);
    assertTrue(last.before() <= last.lowerBound() * 1.1, "within the margin of the lower bound: " + last);
  }

  @Test
  void headsAreSpreadByPromotingAnotherReplicaBeforeCopyingAnything() {
    RoutingTable table = table("a,b,c", "a,c,b", "a,b,c");
    List<NodeSpec> nodes = uniform("a", "b", "c");
    Map<Long, RangeStats> stats = even(3, 1000, 0, 300); // writes only: heads carry twice
    RoutingTable end = converge(table, nodes, stats, 3, UNLIMITED);
    Map<String, Integer> heads = count(end, true);
    assertEquals(Map.of("a", 1, "b", 1, "c", 1), heads);
    for (RangeConfig r : end.ranges()) {
      assertEquals(Set.of("a", "b", "c"), new HashSet<>(nodesOf(r)), "no data moved");
    }
    Plan first = new Planner(UNLIMITED).plan(table, nodes, stats, 3, List.of());
    assertTrue(first.moves().stream().allMatch(m -> m instanceof Move.HeadMove), first.toString());
  }

  @Test
  void aNewNodeBesideNodesWithManyRangesGetsItsShareInStepsSmallerThanTheMargin() {
    // 24 ranges on a, b, c (every node holds all of them); d joins. One replica is 1/18 of a share, and a
    // source loses less than that where it leads the range: each step gains less than half the margin.
    String[] chains = new String[24];
    String[] names = {"a", "b", "c"};
    for (int i = 0; i < 24; i++) {
      chains[i] = names[i % 3] + "," + names[(i + 1) % 3] + "," + names[(i + 2) % 3];
    }
    RoutingTable table = table(chains);
    // Each node offers a fair share, as the controller sets it: a quarter of the bytes and operations.
    List<NodeSpec> nodes = new ArrayList<>();
    for (String n : List.of("a", "b", "c", "d")) {
      nodes.add(NodeSpec.up(n, 72L * (64L << 20) / 4, 24 * (50 * 3 + 50 + 50) / 4.0));
    }
    RoutingTable end = converge(table, nodes, even(24, 64L << 20, 50, 50), 3, PlacementSettings.DEFAULTS);
    Map<String, Integer> replicas = count(end, false);
    assertTrue(replicas.values().stream().allMatch(n -> n >= 17 && n <= 19), replicas.toString());
    Map<String, Integer> heads = count(end, true);
    assertTrue(heads.values().stream().allMatch(n -> n >= 5 && n <= 7), heads.toString());
  }

  @Test
  void headsFollowTheRequestsThatEnterThemWhereTheModelsOperationsAreWithinTheMargin() {
    // Every node holds 18 of the 72 replicas; a, b, c lead 7, 7 and 6 of the 24 ranges and d (new) leads 4.
    // In operations (each replica applies every write) d is 6.7 % below the mean, inside the margin; in the
    // writes that enter its heads it is a third below. Head moves alone even that out.
    RoutingTable table = table("b,c,d", "a,c,d", "b,a,d", "c,a,b", "c,b,d", "a,c,d", "b,a,d", "a,b,c", "d,b,c",
        "c,a,d", "b,a,d", "a,b,c", "d,b,c", "c,a,d", "b,a,d", "a,b,c", "d,b,c", "c,a,d", "b,a,d", "a,b,c",
        "d,b,c", "c,a,d", "b,a,d", "a,b,c");
    assertEquals(Map.of("a", 7, "b", 7, "c", 6, "d", 4), count(table, true));
    List<NodeSpec> nodes = new ArrayList<>();
    for (String n : List.of("a", "b", "c", "d")) {
      nodes.add(NodeSpec.up(n, 72L * (64L << 20) / 4, 24 * (50 * 3 + 50 + 50) / 4.0));
    }
    Map<Long, RangeStats> stats = even(24, 64L << 20, 50, 50);
    Plan first = new Planner(PlacementSettings.DEFAULTS).plan(table, nodes, stats, 3, List.of());
    assertFalse(first.isEmpty(), first.toString());
    assertTrue(first.moves().stream().allMatch(m -> m instanceof Move.HeadMove && ((Move.HeadMove) m).to().equals("d")),
        first.toString());
    RoutingTable end = converge(table, nodes, stats, 3, PlacementSettings.DEFAULTS);
    assertEquals(Map.of("a", 6, "b", 6, "c", 6, "d", 6), count(end, true));
    assertEquals(Map.of("a", 18, "b", 18, "c", 18, "d", 18), count(end, false), "no data moved");

    // While a replica is being copied, the chains are not what they will be: heads wait.
    Plan copying = new Planner(PlacementSettings.DEFAULTS).plan(
        table, nodes, stats, 3, List.of(new Move.ReplicaMove(1, "c", "a", "in flight")));
    assertTrue(copying.moves().stream().noneMatch(m -> m instanceof Move.HeadMove), copying.toString());
  }

  @Test
  void aHeadIsNotHandedToANodeItWouldMakeHotByItsRequests() {
    // Head requests: a leads ranges 1 (45/s) and 2 (55/s), b leads 3 and c leads 4; the mean is 60. Reads
    // (3,000/s a range, spread over every chain, and every node holds every range) keep the operations
    // within 2 % of each other, so only the head-requests pass acts.
    RoutingTable table = table("a,c,b", "a,c,b", "b,c,a", "c,a,b");
    List<NodeSpec> nodes = uniform("a", "b", "c");
    // b 48, c 32: range 1 to c (a 55, c 77) or to b (b 93), range 2 to c (c 87): each would make the
    // receiver hot (above 66), and the next plan would hand the head on again.
    assertTrue(new Planner(PlacementSettings.DEFAULTS).plan(table, nodes, headStats(45, 55, 48, 32), 3, List.of())
        .isEmpty());
    // b 60, c 20: range 1 to c leaves a 55, c 65.
    assertEquals(List.of(new Move.HeadMove(1, "a", "c",
            "node a takes more than the mean 60.0 head requests/s by more than the margin")),
        new Planner(PlacementSettings.DEFAULTS).plan(table, nodes, headStats(45, 55, 60, 20), 3, List.of()).moves());
  }

  private static Map<Long, RangeStats> headStats(double... writes) {
    Map<Long, RangeStats> stats = new TreeMap<>();
    for (int i = 0; i < writes.length; i++) {
      stats.put(i + 1L, new RangeStats(i + 1, 1000, 3000, writes[i]));
    }
    return stats;
  }

  @Test
  void latestReadsWeighOnTheHeadSoHeadsSpreadWhenReadsAreReadModifyWrites() {
    // Reads only, two of three ranges led by a: spread over the chains they weigh the same everywhere
    // (no move), but as latest-reads (served by the head) they load a twice as much as b.
    RoutingTable table = table("a,b,c", "a,c,b", "b,c,a");
    List<NodeSpec> nodes = uniform("a", "b", "c");
    Map<Long, RangeStats> plain = new java.util.HashMap<>();
    Map<Long, RangeStats> latest = new java.util.HashMap<>();
    for (long id = 1; id <= 3; id++) {
      plain.put(id, new RangeStats(id, 1000, 3000, 0));
      latest.put(id, new RangeStats(id, 1000, 3000, 0, 3000));
    }
    assertTrue(new Planner(UNLIMITED).plan(table, nodes, plain, 3, List.of()).isEmpty());
    Plan plan = new Planner(UNLIMITED).plan(table, nodes, latest, 3, List.of());
    assertEquals(1, plan.moves().size(), plan.toString());
    Move.HeadMove m = (Move.HeadMove) plan.moves().get(0);
    assertEquals("a", m.from());
    assertEquals("c", m.to());
    assertEquals(Map.of("a", 1, "b", 1, "c", 1), count(converge(table, nodes, latest, 3, UNLIMITED), true));
  }

  @Test
  void aBalancedClusterGetsNoMovesAndSaysWhatItDidNotDo() {
    // The head of the one range carries more than the others, but handing it on would only move that.
    RoutingTable table = table("a,b,c");
    List<NodeSpec> nodes = uniform("a", "b", "c");
    Plan plan = new Planner(PlacementSettings.DEFAULTS).plan(table, nodes, even(1, 1000, 10, 100), 3, List.of());
    assertTrue(plan.isEmpty(), plan.toString());
    assertEquals(1, plan.rejected().size(), plan.rejected().toString());
    assertEquals(new Move.HeadMove(1, "a", "b", "node a is above the mean utilization 0.014 by more than the margin"),
        plan.rejected().get(0).move(), "(103.3 + 103.3 + 203.3) / 3 ops of 10,000");
    assertTrue(plan.rejected().get(0).why().startsWith("gains too little"), plan.rejected().toString());
  }

  @Test
  void aMoveWhoseReplicaJoinedCountsOnlyAgainstTheNodeItLeaves() {
    // d joined range 1 for a move from a (it waits at the tail for a's read lease to run out): d may take
    // its next copy meanwhile; a stays busy with the move.
    RoutingTable table = table("a,b,c,d", "b,c,a", "c,a,b", "a,b,c", "b,c,a", "c,a,b");
    List<NodeSpec> nodes = uniform("a", "b", "c", "d");
    Map<Long, RangeStats> stats = even(6, 64L << 20, 100, 100);
    Plan plan = new Planner(PlacementSettings.DEFAULTS).plan(table, nodes, stats, 3,
        List.of(new Move.ReplicaMove(1, "a", "d", "in flight")));
    assertEquals(1, plan.moves().stream().filter(m -> m instanceof Move.ReplicaMove r && r.to().equals("d")).count(),
        plan.toString());
    assertTrue(plan.moves().stream().filter(m -> m.nodes().contains("a")).count() <= 1, plan.toString());
  }

  @Test
  void aNodeReceivesOneCopyAtATimeAndTheNextOnceItsReplicaJoined() {
    String[] chains = {"a,b,c", "b,c,a", "c,a,b", "a,b,c", "b,c,a", "c,a,b"};
    RoutingTable table = table(chains);
    List<NodeSpec> nodes = uniform("a", "b", "c", "d");
    Map<Long, RangeStats> stats = even(6, 64L << 20, 100, 100);
    Planner planner = new Planner(PlacementSettings.DEFAULTS);
    Plan first = planner.plan(table, nodes, stats, 3, List.of());
    List<Move> into = first.moves().stream().filter(m -> m.nodes().contains("d")).toList();
    assertEquals(1, into.size(), first.toString());
    Move.ReplicaMove copy = (Move.ReplicaMove) into.get(0);

    // While the copy runs, d takes no other, nor a head (heads would fill it in place of its copies).
    Plan copying = planner.plan(table, nodes, stats, 3, first.moves());
    assertTrue(copying.moves().stream().noneMatch(m -> m.nodes().contains("d")), copying.toString());

    // Once d's replica joined (the old one waits for its read lease), d takes its next copy.
    chains[(int) copy.rangeId() - 1] += ",d";
    Plan next = planner.plan(table(chains), nodes, stats, 3, List.of(copy));
    assertEquals(1, next.moves().stream().filter(m -> m instanceof Move.ReplicaMove r && r.to().equals("d")).count(),
        next.toString());

    // Without the limit on copies, the limit on moves per node lets two in at once.
    Plan unpaced = new Planner(new PlacementSettings(0.10, 16, 2, 2, 1.0)).plan(table, nodes, stats, 3, List.of());
    assertEquals(2, unpaced.moves().stream().filter(m -> m instanceof Move.ReplicaMove r && r.to().equals("d")).count(),
        unpaced.toString());
  }

  @Test
  void aReplicaWaitingForACopySlotSaysSo() {
    // x is down; c is the one node outside both chains and takes one copy at a time.
    RoutingTable table = table("a,b,x", "b,a,x");
    Plan plan = new Planner(PlacementSettings.DEFAULTS).plan(table, uniform("a", "b", "c"), even(2, 1000, 1, 1), 3,
        List.of());
    assertEquals(List.of(new Move.ReplicaMove(1, "x", "c", "node x is down")), plan.moves(), plan.toString());
    assertTrue(plan.rejected().contains(new Plan.Rejected(new Move.ReplicaMove(2, "x", "?", "node x is down"),
        "every possible target is busy (node c already receives 1 copy)")), plan.toString());
  }

  @Test
  void movesInFlightCountAsDoneAndOccupyTheirNodes() {
    RoutingTable table = table("a,b,c", "b,c,a", "c,a,b", "a,b,c", "b,c,a", "c,a,b");
    List<NodeSpec> nodes = uniform("a", "b", "c", "d");
    Map<Long, RangeStats> stats = even(6, 64L << 20, 100, 100);
    // Two copies into a node allowed, so that the limit on moves per node is what stops the next plan.
    Planner planner = new Planner(new PlacementSettings(0.10, 16, 2, 2, 1.0));
    Plan first = planner.plan(table, nodes, stats, 3, List.of());
    assertEquals(2, first.moves().stream().filter(m -> m.nodes().contains("d")).count(), first.toString());
    Plan again = planner.plan(table, nodes, stats, 3, first.moves());
    assertTrue(again.moves().stream().noneMatch(m -> m.nodes().contains("d")),
        "d is busy with the two moves in flight: " + again);
    assertEquals(first.after(), again.before(), 1e-9, "the moves in flight are counted as done");
  }

  @Test
  void theSamePlanForTheSameInputs() {
    RoutingTable table = randomTable(new Random(5), 6, 30);
    List<NodeSpec> nodes = randomNodes(new Random(5), 6);
    Map<Long, RangeStats> stats = randomStats(new Random(5), 30);
    Planner planner = new Planner(PlacementSettings.DEFAULTS);
    assertEquals(planner.plan(table, nodes, stats, 3, List.of()), planner.plan(table, nodes, stats, 3, List.of()));
  }

  @Test
  void badInputsAreRefusedWithTheirReason() {
    assertThrows(IllegalArgumentException.class, () -> NodeSpec.up("a", 0, 10));
    assertThrows(IllegalArgumentException.class, () -> new RangeStats(1, -1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new PlacementSettings(-0.1, 1, 1, 1, 1));
    IllegalArgumentException copies = assertThrows(IllegalArgumentException.class,
        () -> new PlacementSettings(0.1, 1, 1, 0, 1));
    assertTrue(copies.getMessage().contains("copies per node 0"), copies.getMessage());
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
        () -> new Planner(UNLIMITED).plan(table("a"), uniform("a", "a"), Map.of(), 1, List.of()));
    assertEquals("node a is listed twice", twice.getMessage());
  }

  /**
   * Random clusters (nodes of different capacities, ranges of different sizes and loads, chains placed at
   * random, one node added empty) planned and carried out until the planner has nothing left to do: every
   * chain keeps its length on distinct nodes, and the most utilized node ends within the margin of the
   * lower bound plus two replicas' worth on the smallest node. (One move at a time cannot always do better:
   * a hot node's replicas may all belong to ranges the roomy nodes already hold, and a move must gain half
   * the margin to be worth its copy.)
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void randomClustersConvergeNearTheLowerBound(long seed) {
    Random random = new Random(seed);
    int nodeCount = 4 + random.nextInt(5);
    RoutingTable table = randomTable(random, nodeCount - 1, 20 + random.nextInt(40));
    List<NodeSpec> nodes = randomNodes(random, nodeCount);
    Map<Long, RangeStats> stats = randomStats(random, table.size());

    RoutingTable end = converge(table, nodes, stats, 3, PlacementSettings.DEFAULTS);
    for (RangeConfig r : end.ranges()) {
      assertEquals(3, new HashSet<>(nodesOf(r)).size(), "seed " + seed + ": range " + r.rangeId() + " " + nodesOf(r));
    }
    Plan last = new Planner(PlacementSettings.DEFAULTS).plan(end, nodes, stats, 3, List.of());
    double slack = 2 * replicaShare(stats, nodes, 3);
    assertTrue(last.before() <= last.lowerBound() * (1 + PlacementSettings.DEFAULTS.margin()) + slack,
        "seed " + seed + ": " + last.before() + " against the bound " + last.lowerBound() + " + " + slack);
  }

  /**
   * While a random cluster converges (the loads following the chains as the planner models them), a plan
   * moves each range at most once (the controller runs one operator per range at a time, so a second move
   * of one range in a plan would not happen, and the moves planned after it would rest on a layout that
   * never comes), and, told what the plan before it did, no plan takes that back: no head or replica
   * returns to the node it just left. The cluster still ends as balanced as without that rule.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void aPlanMovesARangeOnceAndTheNextDoesNotUndoIt(long seed) {
    Random random = new Random(seed);
    int nodeCount = 3 + random.nextInt(5);
    RoutingTable table = randomTable(random, Math.max(3, nodeCount - random.nextInt(2)), 10 + random.nextInt(40));
    List<NodeSpec> nodes = randomNodes(random, nodeCount);
    Map<Long, RangeStats> stats = randomStats(random, table.size());
    Planner planner = new Planner(PlacementSettings.DEFAULTS);
    RoutingTable start = table;
    List<Move> recent = List.of();
    for (int round = 0; round < 500; round++) {
      Plan plan = planner.plan(table, nodes, stats, 3, List.of(), recent);
      if (plan.isEmpty()) {
        // Where it ends is as good as the best that planning without being told reaches (within a
        // replica's worth).
        double without = Double.MAX_VALUE;
        RoutingTable free = start;
        for (int r = 0; r < 500; r++) {
          Plan p = planner.plan(free, nodes, stats, 3, List.of());
          without = Math.min(without, p.before());
          if (p.isEmpty()) {
            break;
          }
          for (Move m : p.moves()) {
            free = carryOut(free, m);
          }
        }
        double slack = replicaShare(stats, nodes, 3);
        assertTrue(plan.before() <= without + slack, "seed " + seed + ": " + plan.before() + " against " + without);
        return;
      }
      Set<Long> moved = new HashSet<>();
      for (Move m : plan.moves()) {
        String where = "seed " + seed + ", round " + round + ": " + m;
        assertTrue(moved.add(m.rangeId()), where + " is the range's second move in " + plan.moves());
        for (Move before : recent) {
          assertFalse(before.rangeId() == m.rangeId() && from(before) != null && from(before).equals(to(m)),
              where + " takes back " + before);
        }
        table = carryOut(table, m);
      }
      recent = plan.moves();
    }
    throw new AssertionError("seed " + seed + ": no convergence in 500 rounds");
  }

  /**
   * Planning without being told what moved lately still settles: the passes that move heads (by
   * utilization, by operations, by the requests that enter the heads) do not hand heads to and fro between
   * them. Before the passes measured operations against one level (the cluster's operations over its
   * bandwidth, not the mean of the nodes' fractions, which moves with every head handed between nodes of
   * different bandwidth), kept the head-requests moves a quarter of the margin inside the others' bands,
   * and stopped filling a cold node past its source, six of these 300 clusters never settled (seeds 16,
   * 145, 164, 176, 221, 222: a head handed on by one pass and back by another in every plan).
   */
  @Test
  void plansWithoutTheRecentMovesStillSettle() {
    Planner planner = new Planner(PlacementSettings.DEFAULTS);
    for (long seed = 1; seed <= 300; seed++) {
      Random random = new Random(seed);
      int nodeCount = 3 + random.nextInt(5);
      RoutingTable table = randomTable(random, Math.max(3, nodeCount - random.nextInt(2)), 10 + random.nextInt(40));
      List<NodeSpec> nodes = randomNodes(random, nodeCount);
      Map<Long, RangeStats> stats = randomStats(random, table.size());
      int round = 0;
      for (Plan plan = planner.plan(table, nodes, stats, 3, List.of()); !plan.isEmpty();
          plan = planner.plan(table, nodes, stats, 3, List.of())) {
        assertTrue(++round < 200, "seed " + seed + ": still moving after 200 plans: " + plan.moves());
        for (Move m : plan.moves()) {
          table = carryOut(table, m);
        }
      }
    }
  }

  @Test
  void aHeadThatJustMovedIsNotHandedBack() {
    // Head requests: a leads ranges 1 (30/s) and 2 (60/s), b range 3 (60/s), c range 4 (30/s): range 1 to c.
    RoutingTable table = table("a,c,b", "a,b,c", "b,c,a", "c,a,b");
    List<NodeSpec> nodes = uniform("a", "b", "c");
    Plan first = new Planner(PlacementSettings.DEFAULTS).plan(table, nodes, headStats(30, 60, 60, 30), 3, List.of());
    assertEquals(List.of(new Move.HeadMove(1, "a", "c",
        "node a takes more than the mean 60.0 head requests/s by more than the margin")), first.moves());
    // Rates that trail the move (range 4 looked busier for a while) show c where a was: alone, the planner
    // hands range 1's head back to a ...
    RoutingTable after = carryOut(table, first.moves().get(0));
    Map<Long, RangeStats> trailing = headStats(30, 30, 60, 60);
    Plan naive = new Planner(PlacementSettings.DEFAULTS).plan(after, nodes, trailing, 3, List.of());
    assertEquals(List.of(new Move.HeadMove(1, "c", "a",
        "node c takes more than the mean 60.0 head requests/s by more than the margin")), naive.moves());
    // ... not when told that a move took it off a lately.
    assertTrue(new Planner(PlacementSettings.DEFAULTS).plan(after, nodes, trailing, 3, List.of(), first.moves()).isEmpty());
  }

  private static String from(Move m) {
    return m instanceof Move.HeadMove h ? h.from() : m instanceof Move.ReplicaMove r ? r.from() : null;
  }

  private static String to(Move m) {
    return m instanceof Move.HeadMove h ? h.to() : m instanceof Move.ReplicaMove r ? r.to() : null;
  }

  // ------------------------------------------------------------------------------------- helpers

  /** Plans and carries out (as the controller would, every move finishing) until nothing is left. */
  private static RoutingTable converge(
      RoutingTable table, List<NodeSpec> nodes, Map<Long, RangeStats> stats, int rf, PlacementSettings settings) {
    Planner planner = new Planner(settings);
    for (int round = 0; round < 500; round++) {
      Plan plan = planner.plan(table, nodes, stats, rf, List.of());
      if (plan.isEmpty()) {
        return table;
      }
      for (Move m : plan.moves()) {
        table = carryOut(table, m);
      }
    }
    throw new AssertionError("no convergence in 500 rounds");
  }

  private static RoutingTable carryOut(RoutingTable table, Move m) {
    RangeConfig r = table.range(m.rangeId()).orElseThrow();
    List<Replica> chain = new ArrayList<>(r.chain());
    int slot = 64 + (int) r.epoch();
    if (m instanceof Move.ReplicaMove move) {
      chain.removeIf(x -> x.node().equals(move.from()));
      chain.add(new Replica(slot, move.to()));
    } else if (m instanceof Move.AddReplica add) {
      chain.add(new Replica(slot, add.to()));
    } else {
      Move.HeadMove h = (Move.HeadMove) m;
      Replica to = chain.stream().filter(x -> x.node().equals(h.to())).findFirst().orElseThrow();
      chain.remove(to);
      chain.add(0, to);
    }
    return table.withRange(r.withChain(chain));
  }

  /** Ranges 1, 2, … with the given chains ("a,b,c": head a, tail c), at epoch 1. */
  static RoutingTable table(String... chains) {
    List<byte[]> splits = RoutingTable.evenSplitPoints(chains.length);
    List<RangeConfig> ranges = new ArrayList<>();
    for (int i = 0; i < chains.length; i++) {
      List<Replica> chain = new ArrayList<>();
      String[] names = chains[i].split(",");
      for (int j = 0; j < names.length; j++) {
        chain.add(new Replica(j, names[j]));
      }
      byte[] start = i == 0 ? new byte[0] : splits.get(i - 1);
      byte[] end = i == chains.length - 1 ? new byte[0] : splits.get(i);
      ranges.add(new RangeConfig(i + 1, start, end, 1, chain));
    }
    return RoutingTable.of(1, ranges);
  }

  private static List<NodeSpec> uniform(String... names) {
    List<NodeSpec> nodes = new ArrayList<>();
    for (String n : names) {
      nodes.add(NodeSpec.up(n, 16 * GB, 10_000));
    }
    return nodes;
  }

  private static Map<Long, RangeStats> even(int ranges, long bytes, double reads, double writes) {
    Map<Long, RangeStats> stats = new TreeMap<>();
    for (long id = 1; id <= ranges; id++) {
      stats.put(id, new RangeStats(id, bytes, reads, writes));
    }
    return stats;
  }

  private static RoutingTable randomTable(Random random, int nodes, int ranges) {
    String[] chains = new String[ranges];
    for (int i = 0; i < ranges; i++) {
      List<String> all = new ArrayList<>();
      for (int n = 0; n < nodes; n++) {
        all.add("n" + n);
      }
      java.util.Collections.shuffle(all, random);
      chains[i] = String.join(",", all.subList(0, 3));
    }
    return table(chains);
  }

  /** Nodes n0 … n(count-1), of one to four times a base capacity each. */
  private static List<NodeSpec> randomNodes(Random random, int count) {
    List<NodeSpec> nodes = new ArrayList<>();
    for (int n = 0; n < count; n++) {
      nodes.add(NodeSpec.up("n" + n, (1 + random.nextInt(4)) * 8 * GB, (1 + random.nextInt(4)) * 5_000));
    }
    return nodes;
  }

  private static Map<Long, RangeStats> randomStats(Random random, int ranges) {
    Map<Long, RangeStats> stats = new TreeMap<>();
    for (long id = 1; id <= ranges; id++) {
      stats.put(id, new RangeStats(id, (long) (random.nextDouble() * GB), random.nextDouble() * 600,
          random.nextDouble() * 200));
    }
    return stats;
  }

  /** The largest utilization one replica (a head) can add to the smallest node: the granularity of any plan. */
  private static double replicaShare(Map<Long, RangeStats> stats, List<NodeSpec> nodes, int rf) {
    long minStorage = nodes.stream().mapToLong(NodeSpec::storageBytes).min().orElseThrow();
    double minOps = nodes.stream().mapToDouble(NodeSpec::opsPerSecond).min().orElseThrow();
    double share = 0;
    for (RangeStats s : stats.values()) {
      double ops = s.writesPerSecond() * 2 + s.readsPerSecond() / rf;
      share = Math.max(share, Math.max((double) s.bytes() / minStorage, ops / minOps));
    }
    return share;
  }

  private static List<String> chainOf(RoutingTable table, long id) {
    return nodesOf(table.range(id).orElseThrow());
  }

  private static List<String> nodesOf(RangeConfig r) {
    return r.chain().stream().map(Replica::node).toList();
  }

  private static Map<String, Integer> count(RoutingTable table, boolean headsOnly) {
    Map<String, Integer> count = new TreeMap<>();
    for (RangeConfig r : table.ranges()) {
      for (String n : headsOnly ? List.of(r.head().node()) : nodesOf(r)) {
        count.merge(n, 1, Integer::sum);
      }
    }
    return count;
  }
}
