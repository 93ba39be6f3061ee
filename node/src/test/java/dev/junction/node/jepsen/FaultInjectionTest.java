package dev.junction.node.jepsen;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.DrainResponse;
import dev.junction.client.proto.Operator;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.RoutingTableResponse;
import dev.junction.store.Keys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Jepsen-style fault injection on real node processes: four nodes ({@link NodeCluster}), the first
 * routing table cut into four ranges, and one range whose chain (three replicas) avoids node 0, the node
 * that hosts the controller. Six clients do get, put and compare-and-set on keys of that range while
 * one fault strikes; the recorded history, closed by a read of every key after the fault healed, must be
 * linearizable ({@link LinearizabilityChecker}), which also proves that no acknowledged write was lost;
 * and the range must take writes again after the fault.
 *
 * <p>Each history holds at least {@value #MIN_HISTORY} operations, {@value #BEFORE_FAULT} of them before
 * the fault and {@value #AFTER_RECOVERY} after the range served again, so the checker has contention to
 * chew on across the fault.
 *
 * <p>The fast scenarios run with the build; all of them with {@code -Djunction.faults=all} (see the
 * node module's README). Each prints the time from the fault to the first successful write and read.
 */
class FaultInjectionTest {
  enum Fault {
    KILL_HEAD(true),
    KILL_MIDDLE(false),
    KILL_TAIL(true),
    PAUSE_TAIL(true),
    RESTART_HEAD(false),
    KILL_CONTROLLER_NODE(false),
    PARTITION_TAIL(false),
    /** Every node SIGKILLed at the same moment while clients write, then all started again on their data. */
    KILL_ALL(true),
    /**
     * The head SIGTERMed with rebalancing on: it gives its replicas to the other nodes, then leaves; the
     * range never waits for it. Not in the fast set: {@link StatefulSetRehearsalTest}'s rolling update
     * SIGTERMs every node, heads included, with clients on every range.
     */
    TERM_HEAD(false),
    /**
     * The range split by hand between the clients' keys, then its two parts merged back: no fault, but
     * two changes of the table under the clients, each sealing a range while writes are in flight.
     */
    SPLIT_MERGE(true),
    /**
     * Chains of two: one replica of the range moves to a node it does not use, and the controller's node
     * is SIGKILLed once the move's operator was published; the controller that takes over finishes it.
     */
    KILL_CONTROLLER_MID_MOVE(false),
    /**
     * No command: the clients' load alone (the split threshold lowered to {@value #HOT_RPS} writes and
     * latest-reads a second for {@value #HOT_FOR_S} s) makes the controller split the range where their
     * requests divide, and the parts are headed on different nodes.
     */
    LOAD_SPLIT(true),
    /**
     * The clients use keys of every range. A fifth node starts and takes its share of the replicas
     * without any command; then it is drained ({@code junctionctl drain}) and ends with no replica. Not in
     * the fast set: {@link StatefulSetRehearsalTest} adds a node and drains every node (by SIGTERM) with
     * clients on every range; {@code RebalanceTest} drains by command.
     */
    ADD_THEN_DRAIN(false);

    final boolean fast;

    Fault(boolean fast) {
      this.fast = fast;
    }
  }

  private static final int NODES = 4;
  private static final int HOT_RPS = 20;
  private static final int HOT_FOR_S = 8;
  private static final int CLIENTS = 6;
  private static final Duration CLIENT_DEADLINE = Duration.ofSeconds(2);
  private static final Duration RECOVERY = Duration.ofSeconds(60);
  static final int MIN_HISTORY = 2_000;
  static final int BEFORE_FAULT = 600;
  static final int AFTER_RECOVERY = 400;

  @TempDir Path dir;

  private static boolean selected(Fault f) {
    String which = System.getProperty("junction.faults", "fast");
    if (which.equals("all")) {
      return true;
    }
    if (which.equals("fast")) {
      return f.fast;
    }
    return Set.of(which.toUpperCase().split(",")).contains(f.name());
  }

  @ParameterizedTest
  @EnumSource(Fault.class)
  void theHistoryStaysLinearizableThroughTheFault(Fault fault) throws Exception {
    assumeTrue(selected(fault), fault + " runs with -Djunction.faults=all (or =" + fault + ")");
    TestNetwork network = TestNetwork.loopback();
    if (fault == Fault.PARTITION_TAIL) {
      String[] why = {null};
      network = TestNetwork.namespaces(NODES, why);
      assumeTrue(network != null, "PARTITION_TAIL needs network namespaces (root and iproute2), "
          + "which this machine does not allow: " + why[0]);
    }
    // A restarted node should be back before its ranges are copied elsewhere, so that it gets replicas
    // again. Its new incarnation is let in only once the old one is downed and removed (failure detection,
    // then twice the Split Brain Resolver's 6 s), about 20 s after the kill on a loaded machine.
    // Rebalancing off: each scenario aims its fault at a chain placed where the first table put it.
    // TERM_HEAD needs it on (the drain moves replicas); it reads the chain again just before the fault.
    Map<String, String> env = switch (fault) {
      case RESTART_HEAD ->
          Map.of("JUNCTION_RANGES", "4", "JUNCTION_REPLACE_AFTER", "30s", "JUNCTION_REBALANCE_INTERVAL", "0s");
      case TERM_HEAD -> Map.of("JUNCTION_RANGES", "4", "JUNCTION_REBALANCE_INTERVAL", "2s");
      case KILL_CONTROLLER_MID_MOVE ->
          Map.of("JUNCTION_RANGES", "4", "JUNCTION_REBALANCE_INTERVAL", "0s", "JUNCTION_REPLICATION_FACTOR", "2");
      // Splits by load only while rebalancing is on; the planner may move replicas meanwhile too.
      case LOAD_SPLIT -> Map.of("JUNCTION_RANGES", "4", "JUNCTION_REBALANCE_INTERVAL", "2s",
          "JUNCTION_SPLIT_MAX_RPS", Integer.toString(HOT_RPS), "JUNCTION_SPLIT_HOT_FOR", HOT_FOR_S + "s");
      case ADD_THEN_DRAIN -> Map.of("JUNCTION_RANGES", "4", "JUNCTION_REBALANCE_INTERVAL", "2s");
      default -> Map.of("JUNCTION_RANGES", "4", "JUNCTION_REBALANCE_INTERVAL", "0s");
    };
    // ADD_THEN_DRAIN: a fifth node, started later.
    int size = fault == Fault.ADD_THEN_DRAIN ? NODES + 1 : NODES;
    try (NodeCluster cluster = NodeCluster.start(dir, size, NODES, env, Duration.ofSeconds(180), network)) {
      RoutingTableResponse table = cluster.table(0);
      RangeInfo range = rangeAvoiding(table, cluster, 0);
      List<Integer> chain = new ArrayList<>();
      for (var r : range.getChainList()) {
        chain.add(cluster.indexOf(r.getNode()));
      }
      List<String> keys = new ArrayList<>();
      if (fault == Fault.ADD_THEN_DRAIN) {
        for (RangeInfo r : table.getRangesList()) {
          keys.addAll(keysIn(r, 2)); // any replica that moves holds some of them
        }
      } else {
        keys.addAll(keysIn(range, 3));
      }
      Workload load = new Workload(cluster.endpoints(), keys, CLIENTS, CLIENT_DEADLINE);
      AtomicBoolean stop = new AtomicBoolean();
      CompletableFuture<Workload.Run> running =
          load.start(stop, Duration.ofSeconds(420), 20_000, Duration.ofSeconds(60));
      Probe probe = new Probe(cluster.endpoints(), keysIn(range, 4).get(3));
      try {
        long begin = System.nanoTime();
        cluster.await(Duration.ofSeconds(30), "the clients write", () -> load.writesAfter(begin) >= 20);
        cluster.await(Duration.ofSeconds(90), BEFORE_FAULT + " operations before the fault",
            () -> load.operations() >= BEFORE_FAULT);

        if (fault == Fault.TERM_HEAD) {
          List<Integer> now = chainIn(cluster, 1, range.getRangeId());
          if (!now.isEmpty()) {
            chain.clear(); // moves may have changed it since the start
            chain.addAll(now);
          }
        }
        int head = chain.get(0);
        int middle = chain.get(1);
        int tail = chain.get(chain.size() - 1);
        long[] controllerMoved = {0};
        long faultAt = System.nanoTime();
        System.out.printf("fault %s at %s: head node %d, middle node %d, tail node %d%n", fault,
            java.time.LocalTime.now(), head, middle, tail);
        if (fault != Fault.KILL_CONTROLLER_NODE) {
          probe.start(faultAt);
        }
        switch (fault) {
          case KILL_HEAD -> cluster.kill(head);
          case KILL_MIDDLE -> cluster.kill(middle);
          case KILL_TAIL -> cluster.kill(tail);
          case PAUSE_TAIL -> {
            cluster.pause(tail);
            // Longer than the read lease and the failure detector: the chain moves on without it. Writes
            // acknowledged while the signal was on its way do not count: only those after the new chain.
            long[] movedOn = {0};
            cluster.await(Duration.ofSeconds(30), "writes go on in a chain without the paused tail", () -> {
              if (movedOn[0] == 0) {
                List<Integer> now = chainIn(cluster, head, range.getRangeId());
                if (!now.isEmpty() && !now.contains(tail)) {
                  movedOn[0] = System.nanoTime();
                }
              }
              return movedOn[0] != 0 && load.writesAfter(movedOn[0]) >= 5;
            });
            cluster.resume(tail);
          }
          case RESTART_HEAD -> {
            cluster.kill(head);
            cluster.await(RECOVERY, "writes go on without the killed head", () -> load.writesAfter(faultAt) >= 5);
            cluster.startNode(head);
            // It rejoins: its old replicas left their chains, so it gets new ones by copies.
            int restarted = head;
            cluster.await(Duration.ofSeconds(90), "every range has three replicas again, some on the restarted node",
                () -> cluster.ready(3) && cluster.replicasOn(restarted) > 0);
          }
          case PARTITION_TAIL -> {
            // The tail is cut off from the other nodes but not from clients: it must stop serving reads
            // when its lease runs out, before the others promote a new tail and commit writes.
            cluster.network().isolate(tail, NODES);
            cluster.await(RECOVERY, "writes go on without the cut-off tail", () -> load.writesAfter(faultAt) >= 20);
            cluster.network().heal(tail, NODES);
          }
          case KILL_ALL -> {
            // Pipelined writes: at the kill the replicas may durably hold different suffixes of the log.
            cluster.killAll();
            for (int i = 0; i < NODES; i++) {
              cluster.startNode(i);
            }
            // Four JVMs starting at once on a small machine, the cluster forming, shards placed again: slow.
            cluster.await(Duration.ofSeconds(240), "every range serves again after the whole cluster restarted",
                () -> cluster.ready(3));
          }
          case TERM_HEAD -> {
            int exit = cluster.terminate(head, Duration.ofSeconds(120));
            System.out.printf("fault %s: node %d exited with %d after %d ms%n", fault, head, exit,
                (System.nanoTime() - faultAt) / 1_000_000);
            int other = head == 1 ? 2 : 1;
            // It left holding nothing: it was drained before it went (the table is read from another node).
            cluster.await(Duration.ofSeconds(10), "no replica on the stopped node in node " + other + "'s table",
                () -> {
                  List<List<Integer>> chains = chainsIn(cluster, other);
                  return chains != null && chains.stream().noneMatch(c -> c.contains(head));
                });
          }
          case SPLIT_MERGE -> {
            try (JunctionClient admin =
                JunctionClient.builder().endpoints(cluster.endpoint(1)).deadline(Duration.ofSeconds(5)).build()) {
              // Between the clients' first and second key: their keys, and the probe's, span both parts.
              Operator split = admin.split(range.getRangeId(), keys.get(1).getBytes(StandardCharsets.UTF_8));
              long left = split.getMove().getLeftId();
              cluster.await(RECOVERY, "range " + range.getRangeId() + " split into " + left + " and "
                  + split.getMove().getRightId(), () -> !chainIn(cluster, 1, left).isEmpty());
              long splitAt = System.nanoTime();
              System.out.printf("fault %s: split after %d ms%n", fault, (splitAt - faultAt) / 1_000_000);
              cluster.await(RECOVERY, "both parts take writes", () -> load.writesAfter(splitAt) >= 40);
              Operator merge = admin.merge(left);
              long merged = merge.getMove().getMergedId();
              cluster.await(RECOVERY, "the parts merged into " + merged, () -> !chainIn(cluster, 1, merged).isEmpty());
              System.out.printf("fault %s: merged %d ms after the split%n", fault, (System.nanoTime() - splitAt) / 1_000_000);
            }
          }
          case KILL_CONTROLLER_MID_MOVE -> {
            // Chains of two on four nodes: the range avoids node 0 (the controller's) and one more node.
            int target = 1;
            while (target == 0 || chain.contains(target)) {
              target++;
            }
            int to = target;
            long version = cluster.table(1).getVersion();
            try (JunctionClient admin =
                JunctionClient.builder().endpoints(cluster.endpoint(1)).deadline(Duration.ofSeconds(5)).build()) {
              admin.move(range.getRangeId(), cluster.endpoint(head), cluster.endpoint(to));
            }
            // The operator travels with the next table; once node 1 holds it, the controller's node dies.
            cluster.await(Duration.ofSeconds(10), "the move's operator published",
                () -> tableVersion(cluster, 1) > version);
            cluster.kill(0);
            cluster.await(Duration.ofSeconds(120), "the next controller finished the move to node " + to, () -> {
              List<Integer> now = chainIn(cluster, 1, range.getRangeId());
              return now.contains(to) && !now.contains(head) && now.size() == 2;
            });
            System.out.printf("fault %s: move to node %d done %d ms after the kill%n", fault, to,
                (System.nanoTime() - faultAt) / 1_000_000);
          }
          case LOAD_SPLIT -> {
            cluster.await(Duration.ofSeconds(90), "the clients' keys span ranges headed on different nodes",
                () -> headsOf(cluster, 1, keys).size() >= 2);
            System.out.printf("fault %s: split by load, parts headed on nodes %s, %d ms after the clients began%n",
                fault, headsOf(cluster, 1, keys), (System.nanoTime() - begin) / 1_000_000);
          }
          case ADD_THEN_DRAIN -> {
            int added = NODES;
            int replicas = table.getRangesCount() * chain.size();
            int share = replicas / size;
            cluster.startNode(added);
            cluster.await(Duration.ofSeconds(120), "node " + added + " holds its share of the " + replicas
                + " replicas (" + share + ") and every chain is full",
                () -> cluster.replicasOn(added) >= share && cluster.ready(chain.size()));
            long joined = System.nanoTime();
            System.out.printf("fault %s: node %d holds %d replicas %d ms after it started%n", fault, added,
                cluster.replicasOn(added), (joined - faultAt) / 1_000_000);
            cluster.await(RECOVERY, "writes go on after node " + added + " took its share",
                () -> load.writesAfter(joined) >= 20);
            try (JunctionClient admin =
                JunctionClient.builder().endpoints(cluster.endpoint(1)).deadline(Duration.ofSeconds(5)).build()) {
              DrainResponse drain = admin.drain(cluster.endpoint(added), false);
              assertTrue(drain.getDraining(), "node " + added + " is draining: " + drain);
            }
            cluster.await(Duration.ofSeconds(120), "the drained node " + added + " holds no replica and every chain is full",
                () -> cluster.replicasOn(added) == 0 && cluster.readyExcept(chain.size(), added));
            // A drained node stays out of service until it leaves: its /ready says so, and why.
            String why = cluster.whyNotReady(added);
            assertTrue(why != null && why.startsWith("500") && why.contains("being drained"), "/ready of node " + added
                + ": " + why);
            System.out.printf("fault %s: node %d drained %d ms after it held its share%n", fault, added,
                (System.nanoTime() - joined) / 1_000_000);
          }
          case KILL_CONTROLLER_NODE -> {
            cluster.kill(0);
            // The controller moves once the cluster removed node 0 (the Split Brain Resolver downs it);
            // then a head dies, which only a controller can repair.
            cluster.await(RECOVERY, "node 0 is out of the cluster", () -> cluster.removed(head == 1 ? 2 : 1, 0));
            controllerMoved[0] = System.nanoTime();
            probe.start(controllerMoved[0]);
            cluster.kill(head);
          }
        }
        long after = fault == Fault.KILL_CONTROLLER_NODE ? controllerMoved[0] : faultAt;
        cluster.await(RECOVERY, "the range takes writes again after " + fault,
            () -> load.writesAfter(after) >= 20 && load.readsAfter(after) >= 20);
        long recovered = System.nanoTime();
        probe.await(RECOVERY);
        cluster.await(Duration.ofSeconds(120), MIN_HISTORY + " operations, " + AFTER_RECOVERY + " after recovery",
            () -> load.operations() >= MIN_HISTORY && load.operationsAfter(recovered) >= AFTER_RECOVERY);
        System.out.printf("fault %s: writes unavailable %d ms, reads unavailable %d ms%n", fault,
            probe.writeGapMillis(), probe.readGapMillis());
      } finally {
        stop.set(true);
        probe.stop();
        keepLogs(cluster, fault.name());
      }
      Workload.Run run = running.get(180, TimeUnit.SECONDS);
      LinearizabilityChecker.Result result = LinearizabilityChecker.check(run.history());
      System.out.printf("fault %s: %d operations (%d unknown), linearizable: %s%n",
          fault, run.history().size(), run.unknown(), result.linearizable());
      assertTrue(result.linearizable(), fault + ": not linearizable: " + result.failures()
          + "\nhistory: " + run.history());
    }
  }

  /** Node {@code i}'s routing table version; 0 while it does not answer. */
  private static long tableVersion(NodeCluster cluster, int i) {
    try {
      return cluster.table(i).getVersion();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** The nodes that head the ranges holding {@code keys} in node {@code i}'s table; empty while it does not answer. */
  private static Set<Integer> headsOf(NodeCluster cluster, int i, List<String> keys) {
    Set<Integer> heads = new java.util.TreeSet<>();
    try {
      List<RangeInfo> ranges = cluster.table(i).getRangesList();
      for (String key : keys) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        for (RangeInfo r : ranges) {
          if (Keys.inInterval(k, r.getStart().toByteArray(), r.getEnd().toByteArray()) && r.getChainCount() > 0) {
            heads.add(cluster.indexOf(r.getChain(0).getNode()));
          }
        }
      }
    } catch (RuntimeException e) {
      return Set.of(); // does not answer just now
    }
    return heads;
  }

  /** Every range's chain in node {@code i}'s table; null while it does not answer. */
  private static List<List<Integer>> chainsIn(NodeCluster cluster, int i) {
    List<List<Integer>> chains = new ArrayList<>();
    try {
      for (RangeInfo r : cluster.table(i).getRangesList()) {
        List<Integer> chain = new ArrayList<>();
        for (var replica : r.getChainList()) {
          chain.add(cluster.indexOf(replica.getNode()));
        }
        chains.add(chain);
      }
    } catch (RuntimeException e) {
      return null; // does not answer just now
    }
    return chains;
  }

  /** The nodes of range {@code rangeId}'s chain in node {@code i}'s table; empty while it does not answer. */
  private static List<Integer> chainIn(NodeCluster cluster, int i, long rangeId) {
    try {
      for (RangeInfo r : cluster.table(i).getRangesList()) {
        if (r.getRangeId() == rangeId) {
          List<Integer> chain = new ArrayList<>();
          for (var replica : r.getChainList()) {
            chain.add(cluster.indexOf(replica.getNode()));
          }
          return chain;
        }
      }
    } catch (RuntimeException e) {
      // the node does not answer just now: asked again at the next poll
    }
    return List.of();
  }

  /**
   * Measures unavailability: from the fault on, one thread writes and one reads a key of the range (not
   * one the checked clients use), each call with a short deadline and again at once after a failure, and
   * notes when the first call that was sent after the fault succeeded.
   */
  private static final class Probe {
    private static final Duration DEADLINE = Duration.ofMillis(300);
    private final List<String> endpoints;
    private final String key;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final CompletableFuture<Long> firstWrite = new CompletableFuture<>();
    private final CompletableFuture<Long> firstRead = new CompletableFuture<>();
    private long from;

    Probe(List<String> endpoints, String key) {
      this.endpoints = endpoints;
      this.key = key;
    }

    void start(long faultAt) {
      from = faultAt;
      loop(true, firstWrite);
      loop(false, firstRead);
    }

    private void loop(boolean write, CompletableFuture<Long> first) {
      Thread t = new Thread(() -> {
        try (dev.junction.client.JunctionClient c =
            dev.junction.client.JunctionClient.builder().endpoints(endpoints).deadline(DEADLINE).build()) {
          byte[] k = key.getBytes(StandardCharsets.UTF_8);
          long end = System.nanoTime() + RECOVERY.toNanos();
          for (int n = 0; !stopped.get() && !first.isDone() && System.nanoTime() - end < 0; n++) {
            try {
              if (write) {
                c.put(k, ("probe-" + n).getBytes(StandardCharsets.UTF_8));
              } else {
                c.get(k);
              }
              first.complete(System.nanoTime());
            } catch (RuntimeException e) {
              Thread.sleep(10); // again at once: this measures when the range serves again
            }
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, write ? "probe-writer" : "probe-reader");
      t.setDaemon(true);
      t.start();
    }

    void await(Duration timeout) throws Exception {
      CompletableFuture.allOf(firstWrite, firstRead).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    long writeGapMillis() {
      return firstWrite.isDone() ? TimeUnit.NANOSECONDS.toMillis(firstWrite.join() - from) : -1;
    }

    long readGapMillis() {
      return firstRead.isDone() ? TimeUnit.NANOSECONDS.toMillis(firstRead.join() - from) : -1;
    }

    void stop() {
      stopped.set(true);
    }
  }

  /** Copies the nodes' logs to {@code target/fault-logs/NAME}, where CI keeps them. */
  static void keepLogs(NodeCluster cluster, String name) {
    keepLogs(cluster::log, cluster.size(), name);
  }

  /** The same for nodes whose logs are {@code log(i)}, {@code i < size} (a cluster that failed to start). */
  static void keepLogs(java.util.function.IntFunction<Path> log, int size, String name) {
    Path to = Path.of("target", "fault-logs", name);
    try {
      java.nio.file.Files.createDirectories(to);
      for (int i = 0; i < size; i++) {
        if (java.nio.file.Files.exists(log.apply(i))) {
          java.nio.file.Files.copy(log.apply(i), to.resolve("node-" + i + ".log"),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (java.io.IOException e) {
      System.err.println("could not keep the node logs: " + e);
    }
  }

  /** A range with a full chain none of whose replicas is on node {@code avoid}. */
  private static RangeInfo rangeAvoiding(RoutingTableResponse table, NodeCluster cluster, int avoid) {
    for (RangeInfo r : table.getRangesList()) {
      if (r.getChainCount() >= 2
          && r.getChainList().stream().noneMatch(x -> cluster.indexOf(x.getNode()) == avoid)) {
        return r;
      }
    }
    throw new AssertionError("no range avoids node " + avoid + ": " + table);
  }

  /** {@code n} keys inside {@code range}: its start followed by a short suffix. */
  static List<String> keysIn(RangeInfo range, int n) {
    String start = range.getStart().toString(StandardCharsets.ISO_8859_1);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add((start.isEmpty() ? "a" : start) + "k" + i);
    }
    return keys;
  }
}
