package dev.junction.node.jepsen;

import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import dev.junction.client.proto.RoutingTableResponse;
import dev.junction.node.NodeProcess;
import dev.junction.node.Readiness;
import dev.junction.node.TestPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Real node processes ({@code junction node}, the launcher {@code junction local} uses) on loopback (or
 * in network namespaces, see {@link TestNetwork}), for fault injection: each can be killed with SIGKILL,
 * paused with SIGSTOP, resumed and restarted on its data directory. Only processes started here are ever
 * signalled, by their PID. Where the nodes listen and how they find each other is the {@link Layout}'s
 * business; with the default one every node lists all cluster addresses as seeds, node 0 first, so node 0
 * forms the cluster and is its oldest member (the one that hosts the controller) until it dies.
 */
final class NodeCluster implements AutoCloseable {
  /**
   * Where each node lives and how its process starts: by default ({@link #start(Path, int, int, Map,
   * Duration, TestNetwork)}) free ports on the test's network and seed-node lists; a test may give its
   * own, such as pods started as a StatefulSet would start them.
   */
  interface Layout {
    /** The gRPC {@code host:port} clients use to reach node {@code i}. */
    String endpoint(int i);

    /** Node {@code i}'s management endpoint ({@code /alive}, {@code /ready}). */
    String managementUrl(int i);

    /** Node {@code i}'s cluster address {@code host:port}, as routing tables name it after the {@code @}. */
    String clusterAddress(int i);

    /** Node {@code i}'s process, with its data under {@code data} and its output appended to {@code log}. */
    ProcessBuilder process(int i, Path data, Path log) throws IOException;
  }

  private final Path dir;
  private final int size;
  private final Layout layout;
  private final Process[] processes;
  private final List<Long> everyPid = new ArrayList<>();
  /** Nodes stopped by SIGTERM on purpose: their exit is expected. */
  private final java.util.Set<Integer> terminated = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final TestNetwork network;

  private NodeCluster(Path dir, int size, Layout layout, TestNetwork network) {
    this.network = network;
    this.dir = dir;
    this.size = size;
    this.layout = layout;
    this.processes = new Process[size];
  }

  /** Starts {@code size} nodes and waits until every range has a full chain serving where it is placed. */
  static NodeCluster start(Path dir, int size, Map<String, String> env, Duration timeout) throws Exception {
    return start(dir, size, env, timeout, TestNetwork.loopback());
  }

  /** The same on {@code network} (which the cluster closes when it closes). */
  static NodeCluster start(Path dir, int size, Map<String, String> env, Duration timeout, TestNetwork network)
      throws Exception {
    return start(dir, size, size, env, timeout, network);
  }

  /**
   * Ports and seeds for {@code size} nodes, of which only the first {@code running} start now (and make
   * the first table); the others may be started later with {@link #startNode}, as nodes added to the
   * cluster. Until then {@link #endpoints} leaves them out.
   */
  static NodeCluster start(Path dir, int size, int running, Map<String, String> env, Duration timeout,
      TestNetwork network) throws Exception {
    Random random = new Random();
    int[] bases = TestPorts.freeLoopbackPortBlocks(3, size, random);
    Layout layout = new Ports(size, running, bases[0], bases[1], bases[2], env, network);
    int rf = Integer.parseInt(env.getOrDefault("JUNCTION_REPLICATION_FACTOR", "3"));
    return start(dir, size, running, rf, layout, network, timeout);
  }

  /**
   * {@code size} nodes placed by {@code layout} on loopback, the first {@code running} started now; waits
   * until every range has {@code min(rf, running)} replicas serving where the table places them.
   */
  static NodeCluster start(Path dir, int size, int running, int rf, Layout layout, Duration timeout)
      throws Exception {
    return start(dir, size, running, rf, layout, TestNetwork.loopback(), timeout);
  }

  private static NodeCluster start(Path dir, int size, int running, int rf, Layout layout, TestNetwork network,
      Duration timeout) throws Exception {
    NodeCluster c = new NodeCluster(dir, size, layout, network);
    try {
      for (int i = 0; i < running; i++) {
        c.startNode(i);
      }
      c.await(timeout, "every range has a full chain that serves", () -> c.ready(Math.min(rf, running)));
      return c;
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
  }

  /**
   * The default layout: node {@code i} on {@code network.host(i)} with gRPC port {@code grpcBase + i},
   * management port {@code managementBase + i} and cluster port {@code clusterBase + i}; every node lists
   * all cluster addresses as seeds, node 0 first.
   */
  private record Ports(int size, int minNodes, int grpcBase, int managementBase, int clusterBase,
      Map<String, String> env, TestNetwork network) implements Layout {
    @Override
    public String endpoint(int i) {
      return network.host(i) + ":" + (grpcBase + i);
    }

    @Override
    public String managementUrl(int i) {
      return "http://" + network.host(i) + ":" + (managementBase + i);
    }

    @Override
    public String clusterAddress(int i) {
      return network.host(i) + ":" + (clusterBase + i);
    }

    @Override
    public ProcessBuilder process(int i, Path data, Path log) {
      List<String> seeds = new ArrayList<>();
      for (int s = 0; s < size; s++) {
        seeds.add(clusterAddress(s));
      }
      List<String> command = new ArrayList<>(network.prefix(i));
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      // LMDB-Java unpacks its native library into a temporary file that only an orderly exit deletes: a
      // node this test kills would leave it behind, so it goes into the cluster's own folder.
      List<String> jvm = new ArrayList<>(JVM_ARGS);
      jvm.add("-Dlmdbjava.extract.dir=" + data.toAbsolutePath().getParent());
      NodeProcess node = new NodeProcess(command, jvm, network.host(i), grpcBase + i, managementBase + i,
          clusterBase + i, data, String.join(",", seeds), minNodes, log);
      return node.builder(env);
    }
  }

  /** The JVM options of a test node: LMDB's, and a small heap. */
  static final List<String> JVM_ARGS =
      List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-Xmx256m");

  int size() {
    return size;
  }

  String endpoint(int i) {
    return layout.endpoint(i);
  }

  /** Node {@code i}'s management endpoint ({@code /alive}, {@code /ready}). */
  String managementUrl(int i) {
    return layout.managementUrl(i);
  }

  TestNetwork network() {
    return network;
  }

  /** The gRPC endpoints of the nodes started so far (alive or not). */
  List<String> endpoints() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < size && processes[i] != null; i++) {
      out.add(endpoint(i));
    }
    return out;
  }

  /** The node whose cluster address (as routing tables name nodes) is {@code address}, or -1. */
  int indexOf(String address) {
    for (int i = 0; i < size; i++) {
      if (address.endsWith("@" + layout.clusterAddress(i))) {
        return i;
      }
    }
    return -1;
  }

  Path log(int i) {
    return log(dir, i);
  }

  /**
   * The last {@code lines} lines of {@code log}: CI keeps the test report, not the temporary directory,
   * so a failure must carry the reason a node stopped.
   */
  static String tail(Path log, int lines) {
    try {
      List<String> all = Files.readAllLines(log);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | java.io.UncheckedIOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /** Node {@code i}'s log in a cluster under {@code dir}. */
  static Path log(Path dir, int i) {
    return dir.resolve("node-" + i).resolve("node.log");
  }

  boolean alive(int i) {
    return processes[i] != null && processes[i].isAlive();
  }

  void startNode(int i) throws IOException {
    Path data = dir.resolve("node-" + i);
    Files.createDirectories(data);
    processes[i] = layout.process(i, data, log(i)).start();
    everyPid.add(processes[i].pid());
  }

  /** SIGKILL: the node dies at once, with no goodbye to the cluster. */
  void kill(int i) throws InterruptedException {
    Process p = processes[i];
    p.destroyForcibly();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      throw new AssertionError("node " + i + " (pid " + p.pid() + ") survived SIGKILL");
    }
  }

  /** SIGKILL to every node at once (one kill(1) call for all of them), then waits until all are gone. */
  void killAll() throws Exception {
    List<String> cmd = new ArrayList<>(List.of("kill", "-KILL"));
    for (Process p : processes) {
      if (p != null && p.isAlive()) {
        cmd.add(Long.toString(p.pid()));
      }
    }
    Process kill = new ProcessBuilder(cmd).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("kill -KILL of every node did not return");
    }
    for (int i = 0; i < size; i++) {
      if (processes[i] != null && !processes[i].waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("node " + i + " (pid " + processes[i].pid() + ") survived SIGKILL");
      }
    }
  }

  /**
   * SIGTERM: the node stops gracefully (it drains first when rebalancing is on and enough nodes stay,
   * then leaves the cluster); waits until its process ended, at most {@code timeout}, and returns its exit
   * code. Its exit does not count as a failure in {@link #await}.
   */
  int terminate(int i, Duration timeout) throws Exception {
    Process p = sigterm(i);
    return exitWithin(i, p, System.nanoTime() + timeout.toNanos(), timeout);
  }

  /** SIGTERM to node {@code i}, whose exit then does not count as a failure; its process. */
  private Process sigterm(int i) throws Exception {
    terminated.add(i);
    signal(i, "TERM");
    return processes[i];
  }

  /** {@code p}'s exit code once it ended, by {@code until} (nanoTime) at the latest, else an AssertionError. */
  private static int exitWithin(int i, Process p, long until, Duration timeout) throws InterruptedException {
    if (!p.waitFor(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      throw new AssertionError("node " + i + " (pid " + p.pid() + ") did not stop within " + timeout + " of SIGTERM");
    }
    return p.exitValue();
  }

  /** How a node ended on SIGTERM, and what its {@code /ready} answered meanwhile (each answer once, in order). */
  record Terminated(int exit, List<String> readyAnswers) {}

  /**
   * SIGTERM to node {@code i}, then asks its {@code /ready} until the process ends, within {@code timeout}:
   * what a kubelet's readiness probe would have seen while the node drained and left.
   */
  Terminated terminateWatchingReadiness(int i, Duration timeout) throws Exception {
    long until = System.nanoTime() + timeout.toNanos();
    Process p = sigterm(i);
    List<String> answers = new ArrayList<>();
    while (p.isAlive() && System.nanoTime() < until) {
      String why = whyNotReady(i);
      String answer = why == null ? "ready" : why;
      if (answers.isEmpty() || !answers.get(answers.size() - 1).equals(answer)) {
        answers.add(answer);
      }
      p.waitFor(50, TimeUnit.MILLISECONDS); // the probe's period, or the end of the process
    }
    return new Terminated(exitWithin(i, p, until, timeout), answers);
  }

  /** SIGSTOP: the node freezes (no heartbeats, no answers) until {@link #resume}. */
  void pause(int i) throws Exception {
    signal(i, "STOP");
  }

  /** SIGCONT after {@link #pause}. */
  void resume(int i) throws Exception {
    signal(i, "CONT");
  }

  private void signal(int i, String sig) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + sig, Long.toString(processes[i].pid())).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + sig + " " + processes[i].pid() + " failed");
    }
  }

  /** Waits for {@code condition}, polling, or fails after {@code timeout} naming {@code what}. */
  void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      for (int i = 0; i < size; i++) {
        if (processes[i] != null && !processes[i].isAlive() && processes[i].exitValue() != 137
            && !terminated.contains(i)) {
          throw new AssertionError("node " + i + " exited with " + processes[i].exitValue() + "; see " + log(i)
              + ", which ends:\n" + tail(log(i), 40));
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(200); // polling interval of a deadline wait
    }
  }

  /** The routing table as node {@code i} sees it. */
  RoutingTableResponse table(int i) {
    try (JunctionClient c = JunctionClient.builder().endpoints(endpoint(i)).deadline(Duration.ofSeconds(5)).build()) {
      return c.routingTable();
    }
  }

  /**
   * Every node started so far says {@code /ready} (every replica the table places on it serves there), and
   * the table gives every range {@code rf} replicas.
   */
  boolean ready(int rf) {
    return readyExcept(rf, -1);
  }

  /** {@link #ready} over the nodes other than {@code except} (one being drained says it is not ready). */
  boolean readyExcept(int rf, int except) {
    List<String> management = new ArrayList<>();
    List<String> endpoints = new ArrayList<>();
    for (int i = 0; i < endpoints().size(); i++) {
      if (i != except) {
        management.add(managementUrl(i));
        endpoints.add(endpoint(i));
      }
    }
    return Readiness.ready(management, endpoints, rf);
  }

  /** What node {@code i}'s {@code /ready} says when it is not ready, or null when it is. */
  String whyNotReady(int i) {
    return Readiness.whyNot(managementUrl(i));
  }

  /** How many replicas the routing table (as node 0, or else the first live node, sees it) puts on node {@code i}. */
  int replicasOn(int i) {
    for (int from = 0; from < size; from++) {
      if (alive(from)) {
        try {
          return (int) table(from).getRangesList().stream()
              .flatMap(r -> r.getChainList().stream())
              .filter(x -> indexOf(x.getNode()) == i)
              .count();
        } catch (JunctionException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  /** True when node {@code observer} no longer counts node {@code gone} as a member (or sees it Down). */
  boolean removed(int observer, int gone) {
    try (JunctionClient c =
        JunctionClient.builder().endpoints(endpoint(observer)).deadline(Duration.ofSeconds(5)).build()) {
      return c.adminStatus().getMembersList().stream()
          .noneMatch(m -> indexOf(m.getAddress()) == gone && !m.getStatus().equals("Removed"));
    } catch (JunctionException e) {
      return false;
    }
  }

  /** Stops every process this cluster started: resumed if paused, then SIGTERM, then SIGKILL. */
  @Override
  public void close() {
    for (Process p : processes) {
      if (p != null && p.isAlive()) {
        try {
          new ProcessBuilder("kill", "-CONT", Long.toString(p.pid())).start().waitFor(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          // it is killed below anyway
        }
        p.destroy();
      }
    }
    for (Process p : processes) {
      try {
        if (p != null && !p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    network.close();
  }
}
