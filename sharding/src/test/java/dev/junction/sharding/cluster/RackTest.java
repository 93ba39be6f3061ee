package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rack labels: four nodes, two of them in one rack. The first table spreads chains round-robin, so some
 * chains hold two replicas in that rack; the planner's rack checker moves one of them to the rack the
 * chain does not use, and every chain ends on three racks with its data intact. The nodes also announce
 * their capacities ({@code junction.cluster.capacity}), which reach the planner the same way.
 */
class RackTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void replicasOfARangeEndOnDistinctRacks() throws Exception {
    String[] racks = {"r1", "r1", "r2", "r3"};
    try (TestCluster cluster = TestCluster.start(4, dir, i -> "junction.cluster.split-points = [\"f\", \"m\", \"s\"]\n"
        + "junction.cluster.rebalance.interval = 1s\n"
        + "junction.cluster.rack = \"" + racks[i] + "\"\n"
        + "junction.cluster.capacity.storage = 64GiB\n"
        + "junction.cluster.capacity.requests-per-second = 100000\n")) {
      Map<String, String> rackOf = new HashMap<>();
      for (int i = 0; i < 4; i++) {
        rackOf.put(cluster.node(i).address().toString(), racks[i]);
      }
      for (int i = 0; i < 40; i++) {
        Router.Result r = cluster.router(i % 4)
            .write(new RequestId("rack", i + 1), new WriteOp.Put(b((char) ('a' + i % 26) + "-" + i), b("v" + i)), T)
            .toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertInstanceOf(Router.Written.class, r);
      }
      // The first table (version 1), as the controller made it: the planner may have mended it already.
      RoutingTable first = RoutingTable.initial(
          java.util.stream.Stream.of("f", "m", "s").map(RackTest::b).toList(),
          rackOf.keySet().stream().sorted().toList(), 3);
      assertTrue(first.ranges().stream().anyMatch(r -> racksOf(r, rackOf).size() < 3),
          "the first table shares a rack somewhere (round-robin over 4 nodes, 2 in r1): " + first);
      cluster.await(Duration.ofSeconds(90), "every chain on three racks", () -> cluster.table().ranges().stream()
          .allMatch(r -> r.chain().size() == 3 && racksOf(r, rackOf).size() == 3));
      cluster.awaitServing(Duration.ofSeconds(30));
      for (int i = 0; i < 40; i++) {
        Router.Result r = cluster.router(3).get(b((char) ('a' + i % 26) + "-" + i), T)
            .toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertInstanceOf(Router.Found.class, r);
        assertEquals("v" + i, new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
      }
      // Every node announced its capacities, so the planner's utilizations are absolute: a sliver of 64 GiB
      // and 100,000 requests/s (with equal shares their mean would be 1).
      Controller.PlanReport plan = cluster.node(2).replicas().plan(cluster.node(2).system(), T)
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertEquals(4, plan.utilization().size());
      assertTrue(plan.utilization().values().stream().allMatch(u -> u > 0 && u < 0.05), plan.utilization().toString());
    }
  }

  private static Set<String> racksOf(RangeConfig r, Map<String, String> rackOf) {
    Set<String> out = new HashSet<>();
    for (Replica x : r.chain()) {
      out.add(rackOf.get(x.node()));
    }
    return out;
  }
}
