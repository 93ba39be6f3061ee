package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RangeConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that misses the routing table's updates still follows its chains. The controller's write of a
 * table reaches a majority of the nodes at once and the others by Distributed Data's gossip, which this
 * test turns (almost) off: one round an hour. A replica on a node left out hears its chain's peers at an
 * epoch its node's table does not hold, and the node reads the table from a majority at once. Without
 * that, the replica dropped every message of the new epoch and the range's writes stalled until gossip
 * came by (up to seconds with the default interval); here (tried with the read turned off) the node left
 * out never got even the first table, and the cluster never served. The controller's announcements
 * ({@code junction.cluster.announce-tables}) are off in that test, so that the chains' peers are what the
 * node has to go by; the second test shows the announcements alone.
 */
class StaleTableTest {
  private static final Duration T = Duration.ofSeconds(10);
  /** No rebalancing, and Distributed Data's gossip (almost) off: one round an hour. */
  private static final String NO_GOSSIP = "junction.cluster.rebalance.interval = 0s\n"
      + "pekko.cluster.distributed-data.gossip-interval = 1h\n";
  @TempDir Path dir;

  @Test
  void aNodeThatMissesTablesLearnsThemFromItsChainPeers() throws Exception {
    String extra = NO_GOSSIP + "junction.cluster.split-points = [\"m\"]\n"
        + "junction.cluster.announce-tables = off\n";
    try (TestCluster cluster = TestCluster.start(3, dir, extra)) {
      Map<String, String> written = new TreeMap<>();
      long[] seq = {0};
      // Each round moves every range's head one place down its chain (a new epoch, the chain's members
      // unchanged), then writes to it: the write commits only once all three replicas work at the new
      // epoch, one of them on a node the controller's write did not reach.
      for (int round = 0; round < 3; round++) {
        for (RangeConfig range : cluster.table().ranges()) {
          moveHeadDown(cluster, range.rangeId());
          String key = (range.rangeId() == 1 ? "a" : "q") + round;
          cluster.put(0, "stale-table", written, seq, key, "v" + round);
        }
      }
      // Every node holds every range at the epoch the controller's node holds.
      cluster.await(T, "every node holds each range's newest epoch", () -> {
        for (RangeConfig range : cluster.table().ranges()) {
          for (int i = 0; i < cluster.size(); i++) {
            long epoch = cluster.node(i).tables().current().range(range.rangeId()).orElseThrow().epoch();
            if (epoch != range.epoch()) {
              return false;
            }
          }
        }
        return true;
      });
      long staleReads = 0;
      for (int i = 0; i < cluster.size(); i++) {
        staleReads += cluster.node(i).staleTableReads();
      }
      assertTrue(staleReads > 0, "the node left out read the table because its chains were ahead");
      for (Map.Entry<String, String> e : written.entrySet()) {
        for (int i = 0; i < cluster.size(); i++) {
          Router.Result r = cluster.router(i).get(e.getKey().getBytes(StandardCharsets.UTF_8), T)
              .toCompletableFuture().get(20, TimeUnit.SECONDS);
          assertInstanceOf(Router.Found.class, r, e.getKey() + " via node " + i);
          assertEquals(e.getValue(), new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
        }
      }
    }
  }

  /**
   * A node that holds no replica of a range still learns each table that changes it, with gossip off, no
   * client calling and no peer of its own: the controller announces every table a majority holds, and a
   * node whose table is older reads it from a majority. (Tried with the announcements off: the node left
   * out of the controller's writes kept the first table it was given.)
   */
  @Test
  void everyNodeLearnsEachTableFromTheControllersAnnouncement() throws Exception {
    String extra = NO_GOSSIP + "junction.cluster.split-points = [\"g\", \"n\", \"t\"]\n"
        + "junction.cluster.replication-factor = 2\n";
    try (TestCluster cluster = TestCluster.start(3, dir, extra)) {
      int moved = 0;
      for (int round = 0; round < 2; round++) {
        for (RangeConfig range : cluster.table().ranges()) {
          RangeConfig now = moveHeadDown(cluster, range.rangeId());
          long version = cluster.table().version();
          cluster.await(T, "every node holds table version " + version + " (range " + range.rangeId() + " on "
              + now.chain() + ")", () -> {
                for (int i = 0; i < cluster.size(); i++) {
                  if (cluster.node(i).tables().current().version() < version) {
                    return false;
                  }
                }
                return true;
              });
          moved++;
        }
      }
      assertTrue(moved >= 8, "moved " + moved + " heads");
    }
  }

  /**
   * Hands range {@code id}'s head to the next replica of its chain (a new epoch, the same members) and waits
   * until the controller's node holds that table; returns the range as it was.
   */
  private static RangeConfig moveHeadDown(TestCluster cluster, long id) throws Exception {
    RangeConfig now = cluster.table().range(id).orElseThrow();
    String to = now.chain().get(1).node();
    Controller.MoveStarted started = cluster.node(0).replicas()
        .startMove(cluster.node(0).system(), id, now.head().node(), to, T)
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
    assertEquals("", started.refused());
    cluster.await(Duration.ofSeconds(30), "range " + id + "'s head moved to " + to,
        () -> cluster.table().range(id).orElseThrow().head().node().equals(to));
    return now;
  }
}
