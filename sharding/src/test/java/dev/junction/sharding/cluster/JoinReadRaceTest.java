package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While a client writes and replicas move (drains: copy, join at the tail, old replica out), a reader
 * reads keys whose writes were acknowledged, through every gateway: any "absent" is a wrong answer. It
 * found a new tail still catching up that answered from its old copy (see {@code NewTailStaleReadTest}).
 * Writer and reader are bounded in count and time.
 */
class JoinReadRaceTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void acknowledgedWritesAreReadWhileReplicasJoin() throws Exception {
    String extra = "junction.cluster.split-points = [\"d\", \"h\", \"l\", \"p\", \"t\"]\n"
        + "junction.cluster.rebalance.interval = 1s\n";
    try (TestCluster cluster = TestCluster.start(4, dir, extra)) {
      List<String> acked = new CopyOnWriteArrayList<>();
      ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
      AtomicBoolean stop = new AtomicBoolean();
      long until = System.nanoTime() + Duration.ofSeconds(300).toNanos();
      Thread writer = new Thread(() -> {
        for (long i = 0; i < 50_000 && !stop.get() && System.nanoTime() < until; i++) {
          String key = (char) ('a' + i % 26) + "." + i;
          try {
            Router.Result r = cluster.router(0).write(new RequestId("race", i + 1), new WriteOp.Put(b(key), b("v" + i)), T)
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
            if (r instanceof Router.Written) {
              acked.add(key);
            }
          } catch (Exception e) {
            // not acknowledged: not read
          }
        }
      });
      Thread reader = new Thread(() -> {
        for (int pass = 0; pass < 100_000 && !stop.get() && System.nanoTime() < until; pass++) {
          int n = acked.size();
          for (int j = Math.max(0, n - 60); j < n && !stop.get(); j++) {
            String key = acked.get(j);
            for (int via = 0; via < cluster.size(); via++) {
              try {
                Router.Result r = cluster.router(via).get(b(key), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
                if (r instanceof Router.Found f && f.value() == null) {
                  String p = key + " absent via gateway " + via + " (gateway table: "
                      + cluster.node(via).tables().current().lookup(b(key)) + ")";
                  wrong.add(p);
                }
              } catch (Exception e) {
                // a timeout is not a wrong answer
              }
            }
          }
        }
      });
      writer.start();
      reader.start();
      try {
        for (int round = 0; round < 2; round++) {
          String node = cluster.node(1 + round % 3).address().toString();
          assertEquals("", drain(cluster, node, false).refused());
          cluster.await(Duration.ofSeconds(120), "drained " + node,
              () -> cluster.table().ranges().stream().noneMatch(r -> r.chain().stream().anyMatch(x -> x.node().equals(node))));
          drain(cluster, node, true);
        }
      } finally {
        stop.set(true);
        writer.join();
        reader.join();
      }
      System.out.println("acknowledged writes: " + acked.size() + ", absent answers: " + wrong.size());
      assertTrue(acked.size() > 100, "the writer kept writing: " + acked.size());
      assertTrue(wrong.isEmpty(), wrong.size() + " reads answered absent for acknowledged writes: "
          + new ArrayList<>(wrong).subList(0, Math.min(20, wrong.size())));
    }
  }

  private static Controller.DrainState drain(TestCluster cluster, String node, boolean cancel) throws Exception {
    return cluster.node(0).replicas().drain(cluster.node(0).system(), node, cancel, T)
        .toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
