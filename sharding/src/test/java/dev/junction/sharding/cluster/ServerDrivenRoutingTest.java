package dev.junction.sharding.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.sharding.routing.LoadSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code server-driven} mode that the routing benchmark compares against: a gateway hands each request
 * to a random node's router, which routes it. Same answers, different path.
 */
class ServerDrivenRoutingTest {
  private static final Duration T = Duration.ofSeconds(10);
  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void requestsHandedToRandomNodesGetTheSameAnswers() throws Exception {
    try (TestCluster cluster =
        TestCluster.start(
            3, dir, "junction.cluster { routing = server-driven, split-points = [\"m\"] }")) {
      cluster.await(T, "every node knows the routers", () -> cluster.router(0).peers().get().size() == 3);
      for (int i = 0; i < 20; i++) {
        Router.Result w =
            cluster.router(i % 3).write(new RequestId("sd", i), new WriteOp.Put(b("k" + (char) ('a' + i)), b("v" + i)), T)
                .toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertInstanceOf(Router.Written.class, w);
      }
      Router.Result r =
          cluster.router(1).get(b("kc"), T).toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertEquals("v2", new String(((Router.Found) r).value().value(), StandardCharsets.UTF_8));
      Router.Result scan =
          cluster.router(2).scan(b("k"), b("l"), 100, T).toCompletableFuture().get(20, TimeUnit.SECONDS);
      assertEquals(20, ((Router.Scanned) scan).entries().size());
      // The routing work happened on the nodes the requests were handed to: counted there, in total.
      long writes = 0;
      for (int n = 0; n < 3; n++) {
        LoadSnapshot load = cluster.router(n).counters().snapshot();
        writes += load.total().writes();
      }
      assertEquals(20, writes, "each write routed once, by some node's router");
    }
  }
}
