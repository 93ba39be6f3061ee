package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.sharding.placement.MoveBook;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's node crashes in the middle of a move. The operator was published with the routing
 * table, so the controller that takes over on another node resumes it from the phase it had and
 * finishes it; meanwhile a client keeps writing to the ranges the crash does not touch, and afterwards
 * every write it was told succeeded reads back, every chain is whole again and none names the lost node.
 */
class ControllerTakeoverTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aMoveUnderWayWhenTheControllerIsLostIsFinishedByTheNextOne() throws Exception {
    // Four nodes, chains of two over four ranges: two ranges do not involve node 0, where the controller
    // runs (the oldest member). One of them moves a replica to the node it does not use either.
    String extra = "junction.cluster.split-points = [\"h\", \"p\", \"t\"]\n"
        + "junction.cluster.replication-factor = 2\n"
        + "junction.cluster.rebalance.interval = 0s\n"
        + "junction.cluster.replace-after = 2s\n"
        + "pekko.coordinated-shutdown.run-by-actor-system-terminate = off\n";
    try (TestCluster cluster = TestCluster.start(4, dir, extra)) {
      String lost = cluster.node(0).address().toString();
      List<RangeConfig> untouched = cluster.table().ranges().stream().filter(r -> !nodes(r).contains(lost)).toList();
      assertEquals(2, untouched.size(), cluster.table().toString());
      RangeConfig moved = untouched.get(0);
      String from = moved.head().node();
      String stays = moved.tail().node();
      String to = cluster.table().ranges().stream().flatMap(r -> nodes(r).stream()).distinct()
          .filter(n -> !n.equals(lost) && !nodes(moved).contains(n)).findFirst().orElseThrow();
      // Keys of the two ranges the crash does not touch (each range's start letter and a suffix).
      List<String> prefixes = untouched.stream().map(r -> new String(r.start(), StandardCharsets.UTF_8) + "-").toList();

      Map<String, String> written = new TreeMap<>();
      long[] seq = {0};
      for (int i = 0; i < 60; i++) {
        put(cluster, written, seq, prefixes.get(i % 2) + i, "v" + i);
      }
      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> failures = new ArrayList<>();
      Thread writer = TestCluster.writer(stop, failures,
          i -> put(cluster, written, seq, prefixes.get(i % 2) + "+" + i, "w" + i));
      long opId;
      try {
        long before = cluster.node(1).tables().current().version();
        Controller.MoveStarted started = cluster.node(2).replicas()
            .startMove(cluster.node(2).system(), moved.rangeId(), from, to, T)
            .toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals("", started.refused());
        opId = started.operator().orElseThrow().id();
        // The controller publishes the operator with the next table; once that reached node 1, node 0 dies.
        cluster.await(Duration.ofSeconds(10), "the operator published",
            () -> cluster.node(1).tables().current().version() > before);
        cluster.crash(0);

        cluster.await(Duration.ofSeconds(90), "the next controller finished move " + opId,
            () -> ended(cluster, opId).isPresent());
        assertEquals(MoveBook.Phase.DONE, ended(cluster, opId).get().phase(),
            "resumed from the published phase and finished, not forgotten");
        cluster.await(Duration.ofSeconds(60), "every chain whole again without the lost node", () -> {
          RoutingTable t = cluster.node(1).tables().current();
          return t.ranges().stream().allMatch(r -> r.chain().size() == 2 && !nodes(r).contains(lost));
        });
      } finally {
        stop.set(true);
        writer.join(TimeUnit.SECONDS.toMillis(30));
      }
      synchronized (failures) {
        assertTrue(failures.isEmpty(), "every write to the ranges off the lost node succeeded: " + failures);
      }
      RoutingTable t = cluster.node(1).tables().current();
      assertEquals(List.of(stays, to), nodes(t.range(moved.rangeId()).orElseThrow()),
          "the replica moved, and the next controller took the old one out");
      cluster.await(Duration.ofSeconds(30), "every key readable through nodes 1 to 3", () -> {
        synchronized (written) {
          for (Map.Entry<String, String> e : written.entrySet()) {
            for (int via = 1; via < cluster.size(); via++) {
              try {
                Router.Result r = cluster.router(via).get(b(e.getKey()), T).toCompletableFuture()
                    .get(20, TimeUnit.SECONDS);
                if (!(r instanceof Router.Found f)) {
                  return false;
                }
                assertEquals(e.getValue(), new String(f.value().value(), StandardCharsets.UTF_8), e.getKey());
              } catch (AssertionError a) {
                throw a;
              } catch (Exception x) {
                return false;
              }
            }
          }
          return true;
        }
      });
    }
  }

  private static List<String> nodes(RangeConfig r) {
    return r.chain().stream().map(Replica::node).toList();
  }

  /** Operator {@code id} among the ended ones of the controller, asked through node 1. */
  private static Optional<MoveBook.Operator> ended(TestCluster cluster, long id) {
    try {
      Controller.PlanReport plan = cluster.node(1).replicas().plan(cluster.node(1).system(), T)
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      return plan.ended().stream().filter(op -> op.id() == id).findFirst();
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private static void put(TestCluster cluster, Map<String, String> written, long[] seq, String key, String value)
      throws Exception {
    cluster.put(2, "takeover", written, seq, key, value);
  }
}
