package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.sharding.routing.Replacement;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node of four crashes: every chain it served runs short, and after {@code replace-after} the
 * controller copies each such range to the node that is left (state transfer over the bulk path), adds
 * the copy at the tail, and the range serves again with three replicas and every committed write, the
 * new tail answering reads. A replica reported as unable to catch up is replaced the same way.
 */
class ReReplicationTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Rebalancing off: the lost node, back, gets no replica, so its store must end up empty. */
  private static final String EXTRA = "junction.cluster.split-points = [\"h\", \"p\"]\n"
      + "junction.cluster.replace-after = 1s\n"
      + "junction.cluster.rebalance.interval = 0s\n"
      + "junction.chain.leftovers.sweep-every = 1s\n"
      + "junction.chain.leftovers.wipe-after = 1s\n"
      + "pekko.coordinated-shutdown.run-by-actor-system-terminate = off";

  @Test
  void aLostReplicaIsReplacedByACopyOnAnotherNode() throws Exception {
    try (TestCluster cluster =
        TestCluster.start(
            4,
            dir,
            EXTRA)) {
      String victim = cluster.node(3).address().toString();
      long seq = 0;
      // Enough entries that the copy takes several chunks of the bulk path.
      for (int i = 0; i < 300; i++) {
        String k = (char) ('a' + i % 26) + "-" + i;
        Router.Result r = cluster.router(0)
            .write(new RequestId("t", ++seq), new WriteOp.Put(b(k), b("v" + i + "-" + "x".repeat(2000))), T)
            .toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertInstanceOf(Router.Written.class, r);
      }
      RoutingTable before = cluster.table();
      long served = before.ranges().stream()
          .filter(r -> r.chain().stream().anyMatch(x -> x.node().equals(victim))).count();
      assertTrue(served > 0, "the victim serves some range: " + before);

      assertTrue(!cluster.node(3).store().scan(new byte[0], new byte[0], 1).isEmpty(), "the victim's store holds keys");
      cluster.crash(3);
      cluster.await(Duration.ofSeconds(60), "every range has three replicas again, none on the lost node", () -> {
        RoutingTable t = cluster.node(0).tables().current();
        return t.ranges().stream().allMatch(r -> r.chain().size() == 3
            && r.chain().stream().noneMatch(x -> x.node().equals(victim)));
      });
      RoutingTable after = cluster.node(0).tables().current();
      for (RangeConfig r : after.ranges()) {
        boolean replaced = before.range(r.rangeId()).orElseThrow().chain().stream()
            .anyMatch(x -> x.node().equals(victim));
        if (replaced) {
          Replica added = r.tail();
          assertTrue(added.slot() >= Replacement.FIRST_ADDED_SLOT, "the copy joined at the tail: " + r);
        }
      }

      // Every committed write is there, read from the tails (the copies, for the replaced ranges).
      for (int i = 0; i < 300; i++) {
        String k = (char) ('a' + i % 26) + "-" + i;
        Router.Result r = readWithRetry(cluster, k);
        assertEquals("v" + i + "-" + "x".repeat(2000),
            new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8), k);
      }
      Router.Result w = cluster.router(1)
          .write(new RequestId("t", ++seq), new WriteOp.Put(b("a-after"), b("yes")), T)
          .toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertInstanceOf(Router.Written.class, w, "writes go on through the new tail");
      assertEquals("yes", new String(((Router.Found) readWithRetry(cluster, "a-after")).value().value(),
          StandardCharsets.UTF_8));

      // A replica reported as unable to catch up from its predecessor's log leaves its chain, and a fresh
      // copy under a new slot takes its place (a copy that was itself just added: its slot is not reused).
      RangeConfig copied = cluster.node(0).tables().current().ranges().stream()
          .filter(r -> r.tail().slot() >= Replacement.FIRST_ADDED_SLOT).findFirst().orElseThrow();
      long rangeId = copied.rangeId();
      int behind = copied.tail().slot();
      cluster.node(2).replicas().reportBehind(copied.replicaId(behind), copied.epoch());
      cluster.await(Duration.ofSeconds(60), "range " + rangeId + " has a fresh third replica instead of slot " + behind,
          () -> {
            RangeConfig r = cluster.node(0).tables().current().range(rangeId).orElseThrow();
            return r.chain().size() == 3 && r.indexOf(behind) < 0;
          });
      // The lost node comes back on its store: its replicas were replaced while it was down, so nothing
      // scheduled their data's wipe; the node's sweep finds them dead by the table and wipes them.
      dev.junction.store.SsdStore back = cluster.restart(3, EXTRA).store();
      cluster.await(Duration.ofSeconds(60), "the node that came back holds no key",
          () -> back.scan(new byte[0], new byte[0], 1).isEmpty() && back.allMeta().isEmpty());
      for (int i = 0; i < 300; i++) {
        String k = (char) ('a' + i % 26) + "-" + i;
        if (copied.contains(b(k))) {
          assertEquals("v" + i + "-" + "x".repeat(2000),
              new String(((Router.Found) readWithRetry(cluster, k)).value().value(), StandardCharsets.UTF_8), k);
        }
      }
    }
  }

  /** A read through node 1's gateway, retried while the new tail is still catching up or getting its lease. */
  private static Router.Result readWithRetry(TestCluster cluster, String key) throws Exception {
    Router.Result[] last = {null};
    cluster.await(Duration.ofSeconds(20), "a read of " + key + " is answered", () -> {
      try {
        last[0] = cluster.router(1).get(b(key), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
        return last[0] instanceof Router.Found;
      } catch (Exception e) {
        return false;
      }
    });
    return last[0];
  }
}
