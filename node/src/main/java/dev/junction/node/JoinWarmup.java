package dev.junction.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Warms a node's JVM up before the node joins its cluster: starts a private cluster of {@link #NODES} nodes
 * inside this JVM (loopback, free ports, a temporary data folder, replication factor {@value #NODES}, so
 * that every node is the head of some ranges, the middle of others and the tail of the rest), runs the
 * {@link Warmup} workload against it through the native and the gRPC endpoints, and stops it.
 *
 * <p>Why: a new JVM's first minute is its JIT compiling the request and chain paths, and until then a
 * request costs several times what it does warm. A node that joins a cluster cold is in the chains of
 * the ranges it receives while its code still runs interpreted: every write of those ranges waits on it,
 * and the cluster's clients slow down with it ({@code bench/elastic.sh}). Warmed in private, the node's
 * compiled code exists before any chain of the real cluster depends on it. Nothing of the private cluster
 * is seen by the real one: other ports, another folder, no seed in common.
 *
 * <p>Measured ({@code bench/elastic.sh}, 2 cores shared by four nodes and the clients): the warm-up itself
 * cuts the cluster's throughput about as much as a cold node in its chains does, so it is off by default;
 * moves into a node warmed for 90 s kept 0.58-0.72 of the throughput before, against 0.3-0.5 into a cold
 * one. It pays where the new node's cores are its own.
 */
final class JoinWarmup {
  /** Nodes of the private cluster: three, so that heads, middles and tails all run. */
  static final int NODES = 3;
  private static final int RANGES = 6;

  private JoinWarmup() {}

  /**
   * Runs the private cluster's warm-up for at most {@code bound} (sooner when this JVM's compiler goes
   * quiet), logging to {@code log}; the private cluster is stopped and its folder deleted in any case.
   */
  static Warmup.Report run(Duration bound, Consumer<String> log) throws IOException, InterruptedException {
    long started = System.nanoTime();
    Path data = Files.createTempDirectory("junction-join-warmup");
    List<JunctionNode> nodes = new ArrayList<>();
    try {
      List<Integer> clusterPorts = new ArrayList<>();
      for (int i = 0; i < NODES; i++) {
        clusterPorts.add(JunctionNode.freePort("127.0.0.1"));
      }
      for (int i = 0; i < NODES; i++) {
        nodes.add(JunctionNode.start(privateNode(data.resolve("node-" + i), clusterPorts.get(i), clusterPorts.get(0), NODES)
            .withValue("junction.cluster.initial-ranges", ConfigValueFactory.fromAnyRef(RANGES))));
      }
      List<String> endpoints = nodes.stream().map(n -> "127.0.0.1:" + n.grpcPort()).collect(Collectors.toList());
      CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
      Warmup.JitClock clock = jit != null && jit.isCompilationTimeMonitoringSupported()
          ? () -> new long[] {jit.getTotalCompilationTime()}
          : () -> null;
      // As junction local's warm-up: the native endpoints (the Java client's default) and gRPC both.
      try (JunctionClient client = JunctionClient.builder().endpoints(endpoints).build();
          JunctionClient second = JunctionClient.builder().endpoints(endpoints).nativeProtocol(false).build()) {
        ClassArchiveTrainingCommand.awaitServing(client);
        Duration left = bound.minusNanos(System.nanoTime() - started);
        if (left.isNegative() || left.isZero()) {
          return new Warmup.Report(0, 0, (System.nanoTime() - started) / 1_000_000, 0, Warmup.Stop.TIME_BOUND);
        }
        return new Warmup(List.of(client, second), () -> JunctionClient.builder().endpoints(endpoints).build(), 8,
            left, clock, log).run();
      } catch (JunctionException e) {
        log.accept("join warm-up: stopped early: " + e.getMessage());
        return new Warmup.Report(0, 1, (System.nanoTime() - started) / 1_000_000, 0, Warmup.Stop.NOTHING_TO_DO);
      }
    } finally {
      stopAndDelete(nodes, data, log);
    }
  }

  /**
   * Stops every private node (each whatever the others do: a node left running would go on writing into
   * the folder), then deletes the folder, trying again for a few seconds if a file appeared in it
   * meanwhile. What fails is logged: the warm-up's work is done either way.
   */
  private static void stopAndDelete(List<JunctionNode> nodes, Path data, Consumer<String> log)
      throws InterruptedException {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      try {
        nodes.get(i).close();
      } catch (RuntimeException e) {
        log.accept("join warm-up: stopping private node " + i + " failed: " + e);
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (Files.exists(data)) {
      try {
        ClassArchiveTrainingCommand.deleteTree(data);
      } catch (IOException | java.io.UncheckedIOException e) {
        if (System.nanoTime() > deadline) {
          log.accept("join warm-up: could not delete " + data + ": " + e);
          return;
        }
        Thread.sleep(100); // polling interval of a deadline wait
      }
    }
  }

  /**
   * One node of a private cluster of {@code nodes} on loopback (replication factor {@code nodes}, free gRPC,
   * native and management ports, no drain on stop), its data in {@code dir}, joining the node whose cluster
   * port is {@code seedPort}. The settings that would place it elsewhere (discovery, racks, a bind address)
   * are cleared, whatever the environment says. Also the class-archive training run's one-node cluster.
   */
  static Config privateNode(Path dir, int clusterPort, int seedPort, int nodes) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("junction.node.host", "127.0.0.1");
    settings.put("junction.node.bind-host", "");
    settings.put("junction.node.grpc-port", 0);
    settings.put("junction.node.native-port", 0);
    settings.put("junction.node.management-port", 0);
    settings.put("junction.node.cluster-port", clusterPort);
    settings.put("junction.node.data-dir", dir.toString());
    settings.put("junction.node.seed-nodes", "127.0.0.1:" + seedPort);
    settings.put("junction.node.discovery", "");
    settings.put("junction.node.rack-from-node", "");
    settings.put("junction.cluster.min-nodes", nodes);
    settings.put("junction.cluster.replication-factor", nodes);
    settings.put("junction.cluster.rack", "");
    settings.put("junction.cluster.leave.drain-timeout", "0s");
    return ConfigFactory.parseMap(settings);
  }
}
