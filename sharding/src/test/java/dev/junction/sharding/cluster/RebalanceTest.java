package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rebalancing between up nodes. A fourth node joins a cluster of three: without any command, the controller's planner moves replicas
 * (copy, join at the tail, old replica out once its lease ran out) and heads until the new node carries
 * its share, while a client keeps writing through a gateway; every write it was told succeeded is there
 * afterwards, with its value, on every chain. A drained node ends with no replica the same way, and a
 * drain that would leave too few nodes for the replication factor is refused.
 */
class RebalanceTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aNewNodeGetsItsShareWhileClientsWrite() throws Exception {
    String extra = "junction.cluster.split-points = [\"d\", \"h\", \"l\", \"p\", \"t\"]\n"
        + "junction.cluster.rebalance.interval = 1s\n";
    try (TestCluster cluster = TestCluster.start(3, dir, extra)) {
      Map<String, String> written = new TreeMap<>();
      long[] seq = {0};
      for (int i = 0; i < 120; i++) {
        put(cluster, written, seq, (char) ('a' + i % 26) + "-" + i, "v" + i + "-" + "x".repeat(500));
      }
      assertEquals(6, cluster.table().size());

      int added = cluster.addNode(extra);
      String newcomer = cluster.node(added).address().toString();
      // A client keeps writing while replicas move (bounded in count and time).
      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> failures = new ArrayList<>();
      Thread writer = TestCluster.writer(stop, failures, 5000, Duration.ofSeconds(90),
          i -> put(cluster, written, seq, (char) ('a' + i % 26) + "+" + i, "w" + i));
      try {
        // 18 replicas on 4 nodes and 6 heads: the newcomer ends with at least 4 replicas and a head.
        cluster.await(Duration.ofSeconds(90), "the new node carries its share", () -> {
          RoutingTable t = cluster.table();
          long replicas = t.ranges().stream().filter(r -> nodes(r).contains(newcomer)).count();
          long heads = t.ranges().stream().filter(r -> r.head().node().equals(newcomer)).count();
          return replicas >= 4 && heads >= 1 && t.ranges().stream().allMatch(r -> r.chain().size() == 3);
        });
      } finally {
        stop.set(true);
        writer.join(TimeUnit.SECONDS.toMillis(30));
      }
      synchronized (failures) {
        assertTrue(failures.isEmpty(), "every write during the moves succeeded: " + failures);
      }
      cluster.awaitServing(Duration.ofSeconds(30));
      RoutingTable t = cluster.table();
      for (RangeConfig r : t.ranges()) {
        assertEquals(3, new HashSet<>(nodes(r)).size(), "distinct nodes: " + r);
      }
      Map<String, Integer> perNode = new TreeMap<>();
      t.ranges().forEach(r -> nodes(r).forEach(n -> perNode.merge(n, 1, Integer::sum)));
      assertTrue(perNode.values().stream().allMatch(c -> c >= 4 && c <= 5), "even: " + perNode);
      // Sharding started every copy on its node: the controller told it where before asking for the copy
      // (a copy started elsewhere waits for sharding's next rebalance to move it before it can begin).
      for (int n = 0; n < cluster.size(); n++) {
        assertEquals(List.of(), cluster.node(n).replicas().locals().misplaced(), "replicas started away on node " + n);
      }
      // Balanced: the planner has nothing left to do, and says so through any node.
      cluster.await(Duration.ofSeconds(30), "no move left under way", () -> {
        try {
          Controller.PlanReport plan = cluster.node(added).replicas().plan(cluster.node(added).system(), T)
              .toCompletableFuture().get(20, TimeUnit.SECONDS);
          return plan.rebalancing() && plan.moves().isEmpty() && plan.operators().isEmpty()
              && plan.utilization().size() == 4 && plan.before() >= plan.lowerBound();
        } catch (Exception e) {
          return false;
        }
      });
      synchronized (written) {
        for (Map.Entry<String, String> e : written.entrySet()) {
          for (int via = 0; via < cluster.size(); via++) {
            Router.Result r = cluster.router(via).get(b(e.getKey()), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
            assertInstanceOf(Router.Found.class, r, e.getKey() + " via node " + via);
            assertEquals(e.getValue(), new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
          }
        }
      }
    }
  }

  /**
   * A copy overtaken by more writes than the replicas keep in their logs still joins at once: with a
   * retained log of 20 records and a client writing into every range all the time, far more entries are
   * written while a range is copied than its predecessor would keep, but the chain holds its logs whole
   * while the copy runs, so no copy has to be thrown away (and every write is kept). Without the hold the
   * predecessors reported 29 copies they could not catch up in one run (each copied again, over and over,
   * until one happened to be quick enough).
   */
  @Test
  void aCopyOvertakenByMoreWritesThanTheLogKeepsStillJoins() throws Exception {
    String extra = "junction.cluster.split-points = [\"h\", \"p\"]\n"
        + "junction.cluster.rebalance.interval = 1s\n"
        + "junction.chain.retained-log = 20\n";
    try (TestCluster cluster = TestCluster.start(3, dir, extra)) {
      Map<String, String> written = new TreeMap<>();
      long[] seq = {0};
      for (int i = 0; i < 60; i++) {
        put(cluster, written, seq, (char) ('a' + i % 26) + "-" + i, "v" + i + "-" + "x".repeat(2000));
      }
      int added = cluster.addNode(extra);
      String newcomer = cluster.node(added).address().toString();
      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> failures = new ArrayList<>();
      Thread writer = TestCluster.writer(stop, failures, 200_000, Duration.ofSeconds(120),
          i -> put(cluster, written, seq, (char) ('a' + i % 26) + "+" + (i % 500), "w" + i));
      try {
        // 9 replicas on 4 nodes: the newcomer ends with at least 2.
        cluster.await(Duration.ofSeconds(100), "the new node carries its share", () -> {
          RoutingTable t = cluster.table();
          long replicas = t.ranges().stream().filter(r -> nodes(r).contains(newcomer)).count();
          return replicas >= 2 && t.ranges().stream().allMatch(r -> r.chain().size() == 3);
        });
      } finally {
        stop.set(true);
        writer.join(TimeUnit.SECONDS.toMillis(30));
      }
      synchronized (failures) {
        assertTrue(failures.isEmpty(), "every write during the moves succeeded: " + failures);
      }
      long behind = 0;
      for (int i = 0; i < cluster.size(); i++) {
        behind += cluster.node(i).replicas().behindReports();
      }
      assertEquals(0, behind, "copies that their predecessors could not catch up from the log");
      cluster.awaitServing(Duration.ofSeconds(30));
      synchronized (written) {
        for (Map.Entry<String, String> e : written.entrySet()) {
          Router.Result r = cluster.router(added).get(b(e.getKey()), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
          assertInstanceOf(Router.Found.class, r, e.getKey());
          assertEquals(e.getValue(), new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
        }
      }
    }
  }

  @Test
  void aDrainedNodeEndsWithNoReplicaWhileClientsWriteAndTooFewNodesAreRefused() throws Exception {
    String extra = "junction.cluster.split-points = [\"f\", \"m\", \"s\"]\n"
        + "junction.cluster.rebalance.interval = 1s\n"
        + "junction.chain.leftovers.wipe-after = 2s\n";
    try (TestCluster cluster = TestCluster.start(4, dir, extra)) {
      Map<String, String> written = new TreeMap<>();
      long[] seq = {0};
      for (int i = 0; i < 60; i++) {
        put(cluster, written, seq, (char) ('a' + i % 26) + "-" + i, "v" + i);
      }
      String victim = cluster.node(2).address().toString();
      assertTrue(!cluster.node(2).store().scan(new byte[0], new byte[0], 1).isEmpty(), "the node to drain holds keys");
      Controller.DrainState started = drain(cluster, victim, false);
      assertEquals("", started.refused());
      assertTrue(started.draining() && started.replicas() > 0, started.toString());
      Controller.DrainState other = drain(cluster, cluster.node(1).address().toString(), false);
      assertEquals("draining " + cluster.node(1).address() + " would leave 2 node(s) to hold chains of 3 replicas;"
          + " add a node first", other.refused(), "three nodes are left to hold chains of three");
      assertEquals("node pekko://junction@127.0.0.1:1 is not an up member of the cluster", 
          drain(cluster, "pekko://junction@127.0.0.1:1", false).refused().replaceAll(" \\(members up: .*", ""));
      for (int i = 0; i < 200; i++) {
        put(cluster, written, seq, (char) ('a' + i % 26) + "+" + i, "w" + i);
        if (drain(cluster, victim, false).replicas() == 0) {
          break;
        }
      }
      cluster.await(Duration.ofSeconds(90), "the drained node holds no replica",
          () -> cluster.table().ranges().stream().noneMatch(r -> nodes(r).contains(victim)));
      assertTrue(cluster.table().ranges().stream().allMatch(r -> new HashSet<>(nodes(r)).size() == 3));
      // The controller counts on the table a majority confirmed to it; node 0 may hold that table a moment
      // earlier (the write reaches the replicas before its confirmation reaches the controller).
      cluster.await(Duration.ofSeconds(20), "the controller counts no replica on the drained node",
          () -> drainedReplicas(cluster, victim) == 0);
      // What its replicas left in its store goes too (leftovers.wipe-after after each left).
      dev.junction.store.SsdStore victimStore = cluster.node(2).store();
      cluster.await(Duration.ofSeconds(60), "the drained node's store holds no key",
          () -> victimStore.scan(new byte[0], new byte[0], 1).isEmpty());
      assertTrue(cluster.node(2).replicas().locals().leftovers().wipedRanges() > 0);
      cluster.awaitServing(Duration.ofSeconds(30));
      for (Map.Entry<String, String> e : written.entrySet()) {
        Router.Result r = cluster.router(0).get(b(e.getKey()), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertInstanceOf(Router.Found.class, r, e.getKey());
        assertEquals(e.getValue(), new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
      }
      assertTrue(!drain(cluster, victim, true).draining(), "cancelled");
    }
  }

  @Test
  void aNodeThatStopsGivesItsReplicasAwayFirstAndWritesGoOn() throws Exception {
    String extra = "junction.cluster.split-points = [\"f\", \"m\", \"s\"]\n"
        + "junction.cluster.rebalance.interval = 1s\n"
        + "junction.cluster.leave.drain-timeout = 90s\n";
    try (TestCluster cluster = TestCluster.start(4, dir, extra)) {
      Map<String, String> written = new TreeMap<>();
      long[] seq = {0};
      for (int i = 0; i < 40; i++) {
        put(cluster, written, seq, (char) ('a' + i % 26) + "-" + i, "v" + i);
      }
      String leaving = cluster.node(2).address().toString();
      assertTrue(cluster.table().ranges().stream().anyMatch(r -> nodes(r).contains(leaving)));
      // A client writes to every range while node 2 stops (bounded in count and time).
      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> failures = new ArrayList<>();
      AtomicInteger writes = new AtomicInteger();
      Thread writer = new Thread(() -> {
        long until = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        // Until told to stop (the count is only a bound: a fast machine once wrote 20,000 before node 2 had
        // left, and the check below then waited for writes that could not come); over 2,000 keys, so the
        // final read-back stays short.
        for (int i = 0; i < 2_000_000 && !stop.get() && System.nanoTime() < until; i++) {
          try {
            put(cluster, written, seq, (char) ('a' + i % 26) + "=" + (i % 2_000), "w" + i);
            writes.incrementAndGet();
          } catch (Throwable t) {
            synchronized (failures) {
              failures.add(t);
            }
            return;
          }
        }
      });
      writer.start();
      try {
        cluster.stop(2);
        // It left only once the table placed nothing on it: no chain waits for it.
        cluster.await(Duration.ofSeconds(10), "node 0's table shows node 2 holding nothing",
            () -> cluster.table().ranges().stream().noneMatch(r -> nodes(r).contains(leaving)));
        int before = writes.get();
        cluster.await(Duration.ofSeconds(30), "writes go on after node 2 left", () -> {
          synchronized (failures) {
            if (!failures.isEmpty()) { // the writer stopped at its first failure: say which
              throw new AssertionError("a write failed while node 2 stopped, after " + writes.get() + " writes",
                  failures.get(0));
            }
          }
          assertTrue(writer.isAlive(), "the writer ran out of its bounds after " + writes.get() + " writes");
          return writes.get() >= before + 50;
        });
      } finally {
        stop.set(true);
        writer.join(60_000);
      }
      assertEquals(List.of(), failures, "every write succeeded within its timeout while node 2 stopped");
      assertTrue(cluster.table().ranges().stream().allMatch(r -> new HashSet<>(nodes(r)).size() == 3));
      synchronized (written) {
        for (Map.Entry<String, String> e : written.entrySet()) {
          Router.Result r = cluster.router(0).get(b(e.getKey()), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
          assertInstanceOf(Router.Found.class, r, e.getKey());
          assertEquals(e.getValue(), new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
        }
      }
    }
  }

  @Test
  void withRebalancingOffMovesHappenOnlyWhenAskedForAndBadRequestsChangeNothing() throws Exception {
    String extra = "junction.cluster.split-points = [\"f\", \"m\", \"s\"]\n"
        + "junction.cluster.rebalance.interval = 0s\n";
    try (TestCluster cluster = TestCluster.start(3, dir, extra)) {
      Map<String, String> written = new TreeMap<>();
      long[] seq = {0};
      for (int i = 0; i < 40; i++) {
        put(cluster, written, seq, (char) ('a' + i % 26) + "-" + i, "v" + i);
      }
      int added = cluster.addNode(extra);
      String newcomer = cluster.node(added).address().toString();
      cluster.await(Duration.ofSeconds(30), "the newcomer is up", () -> {
        for (org.apache.pekko.cluster.Member m
            : org.apache.pekko.cluster.typed.Cluster.get(cluster.node(0).system()).state().getMembers()) {
          if (m.address().toString().equals(newcomer) && m.status() == org.apache.pekko.cluster.MemberStatus.up()) {
            return true;
          }
        }
        return false;
      });
      RoutingTable before = cluster.table();
      RangeConfig first = before.ranges().get(0);
      String from = first.tail().node();
      // Refusals, each naming what is wrong.
      assertEquals("there is no range 99 (ranges: [1, 2, 3, 4])", startMove(cluster, 99, from, newcomer).refused());
      assertEquals("range 1 has no replica on " + newcomer + " (its chain: " + nodes(first) + ")",
          startMove(cluster, 1, newcomer, from).refused());
      assertEquals("node pekko://junction@127.0.0.1:1 is not an up member of the cluster",
          startMove(cluster, 1, from, "pekko://junction@127.0.0.1:1").refused().replaceAll(" \\(members up: .*", ""));
      assertEquals("no operator 77 is under way", ask(cluster, r -> new Controller.CancelMove(77, r)).refused());
      // Nothing moves by itself: the newcomer stays empty.
      assertEquals(before, cluster.table());
      Controller.MoveStarted moved = startMove(cluster, 1, from, newcomer);
      assertEquals("", moved.refused());
      assertEquals("range 1 has a move under way already (operator " + moved.operator().orElseThrow().id() + ", "
          + moved.operator().orElseThrow().move() + ")", startMove(cluster, 1, from, newcomer).refused());
      cluster.await(Duration.ofSeconds(60), "range 1's replica moved from the tail's node to the newcomer", () -> {
        RangeConfig r = cluster.table().range(1).orElseThrow();
        return nodes(r).contains(newcomer) && !nodes(r).contains(from) && r.chain().size() == 3;
      });
      // A plan applied once (rebalancing is off): it starts moves towards the newcomer, and they end.
      Controller.PlanReport applied = cluster.node(0).replicas().applyPlan(cluster.node(0).system(), T)
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertTrue(!applied.moves().isEmpty(), applied.toString());
      cluster.await(Duration.ofSeconds(90), "the applied moves ended and the newcomer holds more", () -> {
        try {
          Controller.PlanReport p = cluster.node(0).replicas().plan(cluster.node(0).system(), T)
              .toCompletableFuture().get(20, TimeUnit.SECONDS);
          return p.operators().isEmpty() && cluster.table().ranges().stream()
              .filter(r -> nodes(r).contains(newcomer)).count() >= 2;
        } catch (Exception e) {
          return false;
        }
      });
      cluster.awaitServing(Duration.ofSeconds(30));
      for (Map.Entry<String, String> e : written.entrySet()) {
        Router.Result r = cluster.router(added).get(b(e.getKey()), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertInstanceOf(Router.Found.class, r, e.getKey());
        assertEquals(e.getValue(), new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
      }
    }
  }

  private static Controller.MoveStarted startMove(TestCluster cluster, long range, String from, String to)
      throws Exception {
    return ask(cluster, r -> new Controller.StartMove(range, from, to, r));
  }

  private static Controller.MoveStarted ask(TestCluster cluster,
      org.apache.pekko.japi.function.Function<org.apache.pekko.actor.typed.ActorRef<Controller.MoveStarted>,
          Controller.Command> message) throws Exception {
    return org.apache.pekko.actor.typed.javadsl.AskPattern.ask(cluster.node(0).replicas().controllerRef(), message, T,
        cluster.node(0).system().scheduler()).toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static Controller.DrainState drain(TestCluster cluster, String node, boolean cancel) throws Exception {
    return cluster.node(0).replicas().drain(cluster.node(0).system(), node, cancel, T)
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static int drainedReplicas(TestCluster cluster, String node) {
    try {
      return drain(cluster, node, false).replicas();
    } catch (Exception e) {
      throw new AssertionError("asking the controller about " + node, e);
    }
  }

  private static List<String> nodes(RangeConfig r) {
    return r.chain().stream().map(Replica::node).toList();
  }

  private static void put(TestCluster cluster, Map<String, String> written, long[] seq, String key, String value)
      throws Exception {
    cluster.put(0, "rebalance", written, seq, key, value);
  }
}
