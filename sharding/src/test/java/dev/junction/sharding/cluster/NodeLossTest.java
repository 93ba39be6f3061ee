package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node crashes: the controller takes it out of every chain it served, at the next epoch, without
 * waiting for the Split Brain Resolver (the range it was tail of once its read lease ran out), and those
 * ranges take writes and reads again with everything committed before the crash.
 */
class NodeLossTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void rangesWhoseHeadMiddleOrTailCrashedServeAgainAtTheNextEpoch() throws Exception {
    try (TestCluster cluster =
        TestCluster.start(
            3,
            dir,
            "junction.cluster.split-points = [\"h\", \"p\"]\n"
                + "pekko.coordinated-shutdown.run-by-actor-system-terminate = off")) {
      RoutingTable before = cluster.table();
      String victim = cluster.node(2).address().toString(); // not node 0, which hosts the controller
      RangeConfig headed = null;
      RangeConfig bridged = null;
      RangeConfig tailed = null;
      for (RangeConfig r : before.ranges()) {
        if (r.head().node().equals(victim)) {
          headed = r;
        } else if (r.tail().node().equals(victim)) {
          tailed = r;
        } else {
          bridged = r;
        }
      }
      byte[][] keys = {key(headed), key(bridged), key(tailed)};
      long seq = 0;
      for (byte[] k : keys) {
        assertInstanceOf(Router.Written.class,
            cluster.router(0).write(new RequestId("t", ++seq), new WriteOp.Put(k, b("before")), T)
                .toCompletableFuture().get(20, TimeUnit.SECONDS));
      }

      cluster.crash(2);
      long headedId = headed.rangeId();
      long bridgedId = bridged.rangeId();
      long tailedId = tailed.rangeId();
      long[] ids = {headedId, bridgedId, tailedId};
      cluster.await(Duration.ofSeconds(30), "the controller repairs all three chains", () -> {
        RoutingTable t = cluster.node(0).tables().current();
        for (long id : ids) {
          if (t.range(id).orElseThrow().epoch() == 1) {
            return false;
          }
        }
        return true;
      });
      RoutingTable after = cluster.node(0).tables().current();
      assertEquals(tailed.chain().get(1).node(), after.range(tailedId).orElseThrow().tail().node(),
          "the old tail's predecessor is the new tail");
      for (long id : ids) {
        RangeConfig r = after.range(id).orElseThrow();
        assertEquals(2, r.chain().size());
        assertEquals(0, r.chain().stream().filter(x -> x.node().equals(victim)).count());
      }

      for (byte[] k : keys) {
        Router.Result read =
            cluster.router(1).get(k, T).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals("before", new String(((Router.Found) read).value().value(), StandardCharsets.UTF_8),
            "committed before the crash, still there");
        Router.Result write =
            cluster.router(0).write(new RequestId("t", ++seq), new WriteOp.Put(k, b("after")), T)
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertInstanceOf(Router.Written.class, write, "writes go on at the new head: " + write);
        Router.Result again = cluster.router(1).get(k, T).toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals("after", new String(((Router.Found) again).value().value(), StandardCharsets.UTF_8));
      }
    }
  }

  /** A key inside {@code range}. */
  private static byte[] key(RangeConfig range) {
    byte[] start = range.start().length == 0 ? b("a") : range.start();
    byte[] k = new byte[start.length + 1];
    System.arraycopy(start, 0, k, 0, start.length);
    k[start.length] = 'x';
    return k;
  }
}
