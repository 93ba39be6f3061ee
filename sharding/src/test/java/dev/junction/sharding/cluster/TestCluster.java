package dev.junction.sharding.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.sharding.routing.RoutingTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The one in-JVM cluster helper of Junction's tests: N nodes (real ActorSystems on 127.0.0.1, each with
 * its own store in a temporary directory) that form a cluster, with the controller's table published and
 * every replica serving where the table places it. Tests reach each node's router (gateway) and store.
 */
public final class TestCluster implements AutoCloseable {
  private final List<ClusterNode> nodes = new ArrayList<>();
  private final java.util.Set<Integer> crashed = new java.util.HashSet<>();
  private final Path dir;

  private TestCluster(Path dir) {
    this.dir = dir;
  }

  /**
   * Starts {@code n} nodes under {@code dir} and waits (at most a minute) until every range's chain is
   * serving. {@code extra} is HOCON layered over the defaults (e.g. split points, routing mode).
   */
  public static TestCluster start(int n, Path dir, String extra) {
    return start(n, dir, i -> extra);
  }

  /** Like {@link #start(int, Path, String)}, with configuration of its own for each node (by index). */
  public static TestCluster start(int n, Path dir, java.util.function.IntFunction<String> extra) {
    TestCluster cluster = new TestCluster(dir);
    try {
      for (int i = 0; i < n; i++) {
        cluster.nodes.add(ClusterNode.start(config(dir, i, n, extra.apply(i))));
      }
      for (ClusterNode node : cluster.nodes) {
        node.join(cluster.nodes.get(0).address());
      }
      cluster.awaitServing(Duration.ofSeconds(60));
      return cluster;
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  static Config config(Path dir, int index, int n, String extra) {
    return ConfigFactory.parseString(extra)
        .withFallback(
            ConfigFactory.parseMap(
                Map.of(
                    "junction.store.directory", dir.resolve("node" + index).resolve("store").toString(),
                    "junction.store.initial-map-size", "16MiB",
                    "junction.store.durability", "replicated",
                    // Stopping a test cluster node by node must not drain each first (a test of the drain sets it).
                    "junction.cluster.leave.drain-timeout", "0s",
                    "junction.cluster.min-nodes", Integer.toString(n),
                    "pekko.remote.artery.canonical.port", "0",
                    "pekko.cluster.distributed-data.durable.lmdb.dir",
                        dir.resolve("node" + index).resolve("ddata").toString())));
  }

  /**
   * Starts one more node with {@code extra} configuration, which joins the cluster (the first table was
   * made by the nodes started first), and returns its index.
   */
  public int addNode(String extra) {
    int index = nodes.size();
    Config config = config(dir, index, index, extra);
    nodes.add(ClusterNode.start(config));
    nodes.get(index).join(nodes.get(0).address());
    return index;
  }

  /**
   * Starts node {@code i} again on its store after it crashed or stopped (a new incarnation at a new
   * address, which joins the cluster), with {@code extra} configuration, and returns it.
   */
  public ClusterNode restart(int i, String extra) {
    if (!crashed.remove(i)) {
      throw new IllegalStateException("node " + i + " still runs");
    }
    ClusterNode node = ClusterNode.start(config(dir, i, nodes.size(), extra));
    nodes.set(i, node);
    node.join(nodes.get(i == 0 ? 1 : 0).address());
    return node;
  }

  public ClusterNode node(int i) {
    return nodes.get(i);
  }

  public int size() {
    return nodes.size();
  }

  public Router router(int i) {
    return nodes.get(i).router();
  }

  /** The routing table as node 0 sees it. */
  public RoutingTable table() {
    return nodes.get(0).tables().current();
  }

  /** The node that hosts {@code replica} of {@code range}. */
  public ClusterNode nodeOf(Replica replica) {
    for (ClusterNode n : nodes) {
      if (n.address().toString().equals(replica.node())) {
        return n;
      }
    }
    throw new IllegalStateException("no node " + replica.node());
  }

  /** Waits until every node has the table and every replica of every range serves on its node. */
  public void awaitServing(Duration timeout) {
    await(timeout, "every node holds the routing table", () -> nodes.stream().allMatch(n -> n.tables().find().isPresent()));
    await(timeout, "every replica serving on its node", this::allServing);
  }

  private boolean allServing() {
    RoutingTable table = table();
    List<CompletionStage<ReplicaActor.Status>> asks = new ArrayList<>();
    List<String> placedOn = new ArrayList<>();
    for (RangeConfig range : table.ranges()) {
      for (Replica r : range.chain()) {
        placedOn.add(r.node());
        asks.add(
            nodes.get(0).replicas().replica(range.replicaId(r.slot()))
                .ask(ReplicaActor.GetStatus::new, Duration.ofSeconds(2)));
      }
    }
    try {
      for (int i = 0; i < asks.size(); i++) {
        ReplicaActor.Status s = asks.get(i).toCompletableFuture().get();
        // Serving, and on its own node: a shard still moving would drop what it buffers.
        if (!s.serving() || !s.node().equals(placedOn.get(i))) {
          return false;
        }
      }
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Waits for a condition with a deadline, failing with a dump of the cluster's state. */
  public void await(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what + "\n" + dump());
      }
      try {
        Thread.sleep(50); // polling interval of a deadline wait
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }

  /** One write of a client, by its number. */
  public interface Write {
    void write(int i) throws Exception;
  }

  /**
   * A started client thread that writes until {@code stop} (at most 5,000 writes and 60 s), and records
   * the first failure in {@code failures} and stops there.
   */
  public static Thread writer(AtomicBoolean stop, List<Throwable> failures, Write write) {
    return writer(stop, failures, 5000, Duration.ofSeconds(60), write);
  }

  /** {@link #writer}, for at most {@code maxWrites} writes and {@code maxTime}. */
  public static Thread writer(
      AtomicBoolean stop, List<Throwable> failures, int maxWrites, Duration maxTime, Write write) {
    Thread t = new Thread(() -> {
      long until = System.nanoTime() + maxTime.toNanos();
      for (int i = 0; i < maxWrites && !stop.get() && System.nanoTime() < until; i++) {
        try {
          write.write(i);
        } catch (Throwable e) {
          synchronized (failures) {
            failures.add(e);
          }
          return;
        }
      }
    });
    t.start();
    return t;
  }

  /**
   * Writes {@code key} = {@code value} through node {@code via}'s gateway as client {@code client} (request
   * ids from {@code seq}, shared under {@code written}'s lock), asserts it was written, and records it in
   * {@code written}.
   */
  public void put(int via, String client, java.util.Map<String, String> written, long[] seq, String key, String value)
      throws Exception {
    long id;
    synchronized (written) {
      id = ++seq[0];
    }
    Router.Result r = router(via)
        .write(new dev.junction.chain.core.RequestId(client, id),
            new dev.junction.chain.core.WriteOp.Put(key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                value.getBytes(java.nio.charset.StandardCharsets.UTF_8)), Duration.ofSeconds(10))
        .toCompletableFuture().get(20, java.util.concurrent.TimeUnit.SECONDS);
    org.junit.jupiter.api.Assertions.assertInstanceOf(Router.Written.class, r, key + ": " + r);
    synchronized (written) {
      written.put(key, value);
    }
  }

  /** What each node knows, for failure messages. */
  public String dump() {
    StringBuilder sb = new StringBuilder("cluster under " + dir + ":\n");
    for (int i = 0; i < nodes.size(); i++) {
      ClusterNode n = nodes.get(i);
      sb.append("  node ").append(i).append(' ').append(n.address()).append(" table ")
          .append(n.tables().find().map(RoutingTable::toString).orElse("none")).append('\n');
    }
    return sb.toString();
  }

  /**
   * Stops node {@code i} the way a crash would, when the cluster was started with
   * {@code pekko.coordinated-shutdown.run-by-actor-system-terminate = off}: no graceful leave, the others
   * find it unreachable.
   */
  public void crash(int i) {
    crashed.add(i);
    nodes.get(i).close();
  }

  /**
   * Stops node {@code i} gracefully, as SIGTERM does (coordinated shutdown: it drains first when its
   * {@code leave.drain-timeout} is above 0, then leaves the cluster), and waits until it stopped.
   */
  public void stop(int i) {
    crashed.add(i);
    nodes.get(i).close();
  }

  @Override
  public void close() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      if (!crashed.contains(i)) {
        nodes.get(i).close();
      }
    }
  }
}
