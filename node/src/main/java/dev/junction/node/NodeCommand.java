package dev.junction.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code junction node}: one storage node, configured by a HOCON file and {@code JUNCTION_*} variables. */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 120, // the description's lines are laid out for it
    description = {
      "Run one storage node in the foreground until SIGTERM or Ctrl-C, which first moves its replicas to other",
      "nodes (at most JUNCTION_DRAIN_TIMEOUT, 60s by default; not when too few nodes would be left or",
      "rebalancing is off), then leaves the cluster gracefully.",
      "Configuration: --config FILE (HOCON) over the defaults; environment variables override both:",
      "  JUNCTION_HOST, JUNCTION_GRPC_PORT, JUNCTION_MANAGEMENT_PORT, JUNCTION_CLUSTER_PORT, JUNCTION_DATA_DIR,",
      "  JUNCTION_NATIVE_PORT (the Java client's native protocol; 0, the default: a free port; -1: none),",
      "  JUNCTION_BIND_HOST (the address to bind when not JUNCTION_HOST, e.g. a pod's IP; the management",
      "    endpoint is announced there too),",
      "  JUNCTION_SEED_NODES (host:port,... of cluster ports; the first forms the cluster), or instead",
      "  JUNCTION_DISCOVERY (config|kubernetes-api) with JUNCTION_CONTACT_POINTS (config: management",
      "    host:port,...), JUNCTION_SERVICE_NAME (kubernetes-api: pods labelled app=NAME) and",
      "    JUNCTION_REQUIRED_CONTACT_POINTS (how many must answer before the first cluster forms),",
      "  JUNCTION_MIN_NODES, JUNCTION_REPLICATION_FACTOR, JUNCTION_DURABILITY (fsync|replicated),",
      "  JUNCTION_ROUTING (switch|server-driven), JUNCTION_REQUEST_TIMEOUT, JUNCTION_GRPC_THREADS,",
      "  JUNCTION_RANGES, JUNCTION_SPLIT_PREFIX, JUNCTION_SPLIT_ALPHABET (the first routing table),",
      "  JUNCTION_REPLACE_AFTER (how long a range runs short of replicas before it is copied, e.g. 10s),",
      "  JUNCTION_READ_LEASE (the replicas' read lease, e.g. 1s),",
      "  JUNCTION_REBALANCE_INTERVAL (how often the controller plans replica and head moves; 0s: never),",
      "  JUNCTION_SPLIT_MAX_BYTES, JUNCTION_SPLIT_MAX_RPS, JUNCTION_SPLIT_HOT_FOR (a range larger, or busier",
      "    for longer, splits by itself while rebalancing is on; 0 turns a rule off),",
      "  JUNCTION_SPLIT_MIN_NODE_SHARE (a busy range splits only above this fraction of a node's part of",
      "    all the head requests; default 1.0, 0: the rate alone decides),",
      "  JUNCTION_DRAIN_TIMEOUT (how long a stopping node waits for its replicas to move; 0s: not at all),",
      "  JUNCTION_RACK (this node's rack or zone: a range's replicas are kept on distinct racks),",
      "  JUNCTION_RACK_FROM_NODE (on Kubernetes, the pod's node name: the rack is that node's",
      "    topology.kubernetes.io/zone label, read through the API server at start),",
      "  JUNCTION_CAPACITY_STORAGE, JUNCTION_CAPACITY_RPS (what this node offers, e.g. 500GiB and 20000; when",
      "    every node says them the planner fills nodes by them, else by equal shares),",
      "  JUNCTION_HEAT_MAP_INTERVAL (how often the heat map on /ui samples the load, e.g. 5s),",
      "  JUNCTION_JOIN_WARMUP (a new node, its data folder empty, first runs a warm-up workload in a private",
      "    cluster of three in its own JVM for at most this long, e.g. 20s, so that it joins with compiled code)."
    })
final class NodeCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "HOCON configuration file.")
  File config;

  @Override
  public Integer call() throws Exception {
    Config base = ConfigFactory.defaultOverrides().withFallback(ConfigFactory.defaultApplication());
    if (config != null) {
      if (!config.isFile()) {
        throw new picocli.CommandLine.ParameterException(
            new picocli.CommandLine(this), "--config " + config + " is not a readable file");
      }
      base = ConfigFactory.defaultOverrides().withFallback(ConfigFactory.parseFile(config)).withFallback(base);
    }
    warmUpBeforeJoining(base);
    JunctionNode node = JunctionNode.start(base);
    Runtime.getRuntime().addShutdownHook(new Thread(node::close, "junction-node-shutdown"));
    // SIGTERM is how a node is stopped (Kubernetes, systemd, junction local): it drains (or gives the
    // drain up at its bound), leaves, and exits 0 rather than the JVM's 143 for "killed by a signal",
    // which systemd counts as a failure; 1 only when the wait for the drain itself broke (interrupted, or
    // no answer within the bound and a margin). Ctrl-C (SIGINT) stops it the same way, with 130.
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> new Thread(
        () -> System.exit(node.stop() ? 0 : 1), "junction-node-sigterm").start());
    System.out.println(
        "node " + node.cluster().address() + " serving gRPC on " + node.settings().host() + ":" + node.grpcPort()
            + ", management on http://" + node.settings().bindHost() + ":" + node.managementPort()
            + ", data in " + node.settings().dataDir().toAbsolutePath());
    System.out.flush();
    node.awaitTermination();
    // Stopped by a signal: the stop's own answer (the signal's thread exits with the same); else the
    // node's actor system ended by itself (e.g. the cluster downed it).
    return node.stopping() ? (node.stop() ? 0 : 1) : 0;
  }

  /**
   * A new node (no store or routing table in its data folder yet) first warms its JVM up in a private
   * cluster, for at most {@code junction.node.join-warmup} (see {@link JoinWarmup}); a node that restarts
   * with data rejoins at once, since its chains wait for it.
   */
  static void warmUpBeforeJoining(Config base) throws InterruptedException {
    Config full = base.withFallback(ConfigFactory.defaultReference()).resolve();
    Duration bound = full.getDuration("junction.node.join-warmup");
    Path data = Path.of(full.getString("junction.node.data-dir"));
    if (bound.isZero() || bound.isNegative() || !isNew(data)) {
      return;
    }
    // Bad settings and busy ports fail now, as they would at the node's start, not after the warm-up.
    NodeSettings settings = NodeSettings.fromConfig(full);
    Map<String, Integer> ports = new LinkedHashMap<>();
    ports.put("gRPC", settings.grpcPort());
    ports.put("native", settings.nativePort());
    ports.put("management", settings.managementPort());
    ports.put("cluster", settings.clusterPort());
    ports.forEach((what, port) -> {
      if (port > 0) { // 0 picks a free port, -1 serves none
        JunctionNode.HeldPort.hold(settings.bindHost(), port, what).close();
      }
    });
    System.err.println("junction node: warming up in a private cluster for at most " + bound.toSeconds()
        + " s before joining (JUNCTION_JOIN_WARMUP=0s skips it)");
    try {
      Warmup.Report r = JoinWarmup.run(bound, line -> System.err.println("junction node: " + line));
      System.err.printf("junction node: warmed up in %.1f s, %,d operations (%d failed), last %,.0f ops/s (%s)%n",
          r.millis() / 1000.0, r.operations(), r.errors(), r.lastRate(), r.stop().text);
    } catch (IOException | RuntimeException e) {
      // The warm-up is an optimization: the node joins cold rather than not at all.
      System.err.println("junction node: the warm-up failed, joining without it: " + e);
    }
  }

  /**
   * Whether a node with this data folder is new: no store and no routing table in it yet (other files,
   * such as a log a script writes there, do not count).
   */
  static boolean isNew(Path data) {
    return !Files.exists(data.resolve("store")) && !Files.exists(data.resolve("ddata"));
  }
}
