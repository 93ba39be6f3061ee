package dev.junction.node;

import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code junction local}: a cluster of node processes on 127.0.0.1 (separate processes, so that one can be
 * killed), with data under one folder. Prints {@code ready: HOST:PORT,...} once every node's {@code /ready}
 * says so and every range has a full chain, then {@code management: http://HOST:PORT,...} (the nodes'
 * management endpoints, in the same order), and stops every node on Ctrl-C or SIGTERM.
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description = {
      "Start a local cluster of node processes on 127.0.0.1 and wait until it serves.",
      "Prints 'ready: HOST:PORT,...' (the gRPC endpoints) when every node's /ready says so and every",
      "range has a full chain, then 'management: http://HOST:PORT,...' (the nodes' /alive, /ready);",
      "Ctrl-C or SIGTERM stops all nodes. Started again on the same --data, the data is still there.",
      "Each node logs to DATA/node-N/node.log."
    })
final class LocalCommand implements Callable<Integer> {
  @Option(names = "--nodes", defaultValue = "3", description = "Number of nodes. Default: ${DEFAULT-VALUE}")
  int nodes;

  @Option(names = "--data", defaultValue = "data/local", description = "Data folder. Default: ${DEFAULT-VALUE}")
  Path data;

  @Option(names = "--port", defaultValue = "7070", description = "First gRPC port (node N uses port+N). Default: ${DEFAULT-VALUE}")
  int port;

  @Option(names = "--cluster-port", defaultValue = "25520", description = "First cluster port. Default: ${DEFAULT-VALUE}")
  int clusterPort;

  @Option(names = "--management-port", defaultValue = "7626",
      description = "First management (HTTP: /alive, /ready) port. Default: ${DEFAULT-VALUE}")
  int managementPort;

  @Option(names = "--routing", defaultValue = "switch", description = "switch or server-driven. Default: ${DEFAULT-VALUE}")
  String routing;

  @Option(names = "--durability", defaultValue = "fsync", description = "fsync or replicated. Default: ${DEFAULT-VALUE}")
  String durability;

  @Option(names = "--ranges", defaultValue = "8", description = "Ranges of the first routing table. Default: ${DEFAULT-VALUE}")
  int ranges;

  @Option(names = "--split-prefix", defaultValue = "",
      description = "Split the key space evenly after this prefix (with --split-alphabet), e.g. user.")
  String splitPrefix;

  @Option(names = "--split-alphabet", defaultValue = "",
      description = "Characters the keys use after the prefix, e.g. 0123456789. Empty: split over the first byte.")
  String splitAlphabet;

  @Option(names = "--timeout", defaultValue = "120s", description = "How long to wait for the cluster. Default: ${DEFAULT-VALUE}",
      converter = DurationOption.class)
  Duration timeout;

  @Option(names = "--warmup", defaultValue = "180s", converter = DurationOption.class,
      description = {"Before printing ready:, run a mixed workload on reserved keys until the nodes' JIT",
          "compilers are quiet (the request path is compiled), at most this long; 0 skips it.",
          "Default: ${DEFAULT-VALUE}"})
  Duration warmup;

  private final List<Process> children = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    checkOptions();
    Files.createDirectories(data);
    List<String> endpoints = new ArrayList<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopAll();
      stopped.countDown();
    }, "junction-local-shutdown"));
    // SIGTERM stops the nodes (each leaves the cluster) and exits 0, not the JVM's 143 for "killed by a
    // signal"; 1 if a node had to be killed. Ctrl-C (SIGINT) stops them the same way, with 130.
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> new Thread(() -> {
      boolean clean = false;
      try {
        clean = stopAll();
      } finally {
        System.exit(clean ? 0 : 1);
      }
    }, "junction-local-sigterm").start());
    List<String> management = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      Process child = startNode(i);
      synchronized (this) { // stopAll may run at any moment (a signal)
        children.add(child);
      }
      endpoints.add("127.0.0.1:" + (port + i));
      management.add("http://127.0.0.1:" + (managementPort + i));
    }
    System.err.println("junction local: " + nodes + " nodes starting, data in " + data.toAbsolutePath());
    if (!awaitReady(management, endpoints)) {
      System.err.println("junction local: the cluster did not become ready within " + timeout
          + "; see the logs in " + data.toAbsolutePath() + "/node-*/node.log");
      stopAll();
      return 1;
    }
    if (!warmup.isZero() && !warmUp(endpoints)) {
      stopAll();
      return 1;
    }
    System.out.println("ready: " + String.join(",", endpoints));
    System.out.println("management: " + String.join(",", management));
    System.out.flush();
    stopped.await();
    return 0;
  }

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  /** Refuses bad options here, rather than as a node that dies at start-up. */
  private void checkOptions() {
    String problem = null;
    if (nodes < 1 || nodes > 16) {
      problem = "--nodes must be 1 to 16";
    } else if (!routing.equals("switch") && !routing.equals("server-driven")) {
      problem = "--routing must be switch or server-driven, not " + routing;
    } else if (!durability.equals("fsync") && !durability.equals("replicated")) {
      problem = "--durability must be fsync or replicated, not " + durability;
    } else if (ranges < 1 || ranges > 4096) {
      problem = "--ranges must be 1 to 4096";
    } else if (warmup.isNegative() || warmup.compareTo(Duration.ofMinutes(30)) > 0) {
      problem = "--warmup must be 0 to 30m, not " + warmup;
    } else if (port < 1 || port + nodes > 65535 || clusterPort < 1 || clusterPort + nodes > 65535
        || managementPort < 1 || managementPort + nodes > 65535) {
      problem = "--port, --cluster-port and --management-port must leave room for " + nodes + " ports below 65536";
    } else if (overlap(port, managementPort) || overlap(port, clusterPort) || overlap(clusterPort, managementPort)) {
      problem = "--port, --cluster-port and --management-port must leave " + nodes + " ports to each";
    }
    if (problem != null) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), problem);
    }
  }

  private Process startNode(int i) throws IOException {
    Path dir = data.resolve("node-" + i);
    Files.createDirectories(dir);
    NodeProcess node = new NodeProcess(
        List.of(ProcessHandle.current().info().command().orElse("java")),
        ManagementFactory.getRuntimeMXBean().getInputArguments(),
        "127.0.0.1", port + i, managementPort + i, clusterPort + i, dir, "", nodes, dir.resolve("node.log"));
    List<String> contactPoints = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      contactPoints.add("127.0.0.1:" + (managementPort + n));
    }
    // The nodes find each other through Pekko Management's cluster bootstrap, by the fixed list of their
    // management endpoints (node 0, the lowest address, forms the cluster).
    ProcessBuilder pb = node.builder(Map.of(
        "JUNCTION_DISCOVERY", "config",
        "JUNCTION_CONTACT_POINTS", String.join(",", contactPoints),
        "JUNCTION_REQUIRED_CONTACT_POINTS", Integer.toString(nodes),
        "JUNCTION_ROUTING", routing,
        "JUNCTION_DURABILITY", durability,
        "JUNCTION_RANGES", Integer.toString(ranges),
        "JUNCTION_SPLIT_PREFIX", splitPrefix,
        "JUNCTION_SPLIT_ALPHABET", splitAlphabet));
    Process p = pb.start();
    System.err.println("junction local: node " + i + " pid " + p.pid() + " gRPC 127.0.0.1:" + (port + i)
        + " cluster 127.0.0.1:" + (clusterPort + i) + " management http://127.0.0.1:" + (managementPort + i));
    return p;
  }

  /** Whether the port ranges of {@code nodes} ports from {@code a} and from {@code b} overlap. */
  private boolean overlap(int a, int b) {
    return a < b + nodes && b < a + nodes;
  }

  private boolean awaitReady(List<String> management, List<String> endpoints) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int rf = Math.min(3, nodes);
    while (System.nanoTime() < deadline) {
      for (int i = 0; i < children.size(); i++) {
        if (!children.get(i).isAlive()) {
          Path log = data.resolve("node-" + i).resolve("node.log");
          System.err.println("junction local: node " + i + " exited during start-up; the end of " + log + ":");
          try {
            List<String> lines = Files.readAllLines(log);
            lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> System.err.println("  " + l));
          } catch (IOException e) {
            System.err.println("  (cannot read it: " + e.getMessage() + ")");
          }
          return false;
        }
      }
      if (Readiness.ready(management, endpoints, rf)) {
        return true;
      }
      Thread.sleep(250); // polling interval of a deadline wait
    }
    return false;
  }

  /** Warms the nodes up (see {@link Warmup}); false if a node died meanwhile. */
  private boolean warmUp(List<String> endpoints) throws InterruptedException {
    System.err.println("junction local: warming up for at most " + warmup.toSeconds() + " s (--warmup 0 skips it)");
    List<JunctionClient> perNode = new ArrayList<>();
    // Two clients: two connections to every node, as the nodes meet them in use (see Warmup); the first
    // calls the nodes' native endpoints (as the Java client does by default), the second gRPC (as grpcurl,
    // other languages and the Java client's scans and async calls do), so both request paths are warm.
    try (JunctionClient client = JunctionClient.builder().endpoints(endpoints).build();
        JunctionClient second = JunctionClient.builder().endpoints(endpoints).nativeProtocol(false).build()) {
      for (String e : endpoints) {
        perNode.add(JunctionClient.builder().endpoints(e).routing(false).deadline(Duration.ofSeconds(2)).build());
      }
      Warmup.Report r = new Warmup(List.of(client, second), () -> JunctionClient.builder().endpoints(endpoints).build(),
          16, warmup, () -> jitMillis(perNode),
          line -> System.err.println("junction local: " + line)).run();
      System.err.printf("junction local: warmed up in %.1f s, %,d operations (%d failed), last %,.0f ops/s (%s)%n",
          r.millis() / 1000.0, r.operations(), r.errors(), r.lastRate(), r.stop().text);
    } catch (JunctionException e) {
      System.err.println("junction local: warm-up stopped: " + e.getMessage());
    } finally {
      perNode.forEach(JunctionClient::close);
    }
    for (int i = 0; i < children.size(); i++) {
      if (!children.get(i).isAlive()) {
        System.err.println("junction local: node " + i + " exited during the warm-up; see "
            + data.resolve("node-" + i).resolve("node.log"));
        return false;
      }
    }
    return true;
  }

  /** Each node's JIT compile time (its Admin status), or null if a node does not answer or tell. */
  private static long[] jitMillis(List<JunctionClient> perNode) {
    long[] millis = new long[perNode.size()];
    for (int i = 0; i < millis.length; i++) {
      try {
        millis[i] = perNode.get(i).adminStatus().getRuntime().getJitMillis();
      } catch (JunctionException e) {
        return null;
      }
      if (millis[i] == 0) {
        return null;
      }
    }
    return millis;
  }

  /** Stops every node (again: a no-op for those that ended); false if one had to be killed. */
  private synchronized boolean stopAll() {
    for (Process p : children) {
      p.destroy(); // SIGTERM: the node leaves the cluster and closes its store
    }
    boolean clean = true;
    for (Process p : children) {
      try {
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          clean = false;
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        clean = false;
      }
    }
    return clean;
  }

  /** Parses 120s / 2m / 500ms. */
  static final class DurationOption implements picocli.CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return com.typesafe.config.ConfigFactory.parseString("d = " + value).getDuration("d");
    }
  }
}
