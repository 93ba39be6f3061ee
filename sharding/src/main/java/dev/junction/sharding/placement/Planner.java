package dev.junction.sharding.placement;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.sharding.routing.RoutingTable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The placement planner: given the routing table, the nodes, the ranges' statistics and the moves already
 * under way, the moves to make now.
 *
 * <p><b>The model</b> (multi-capacity bin packing, after the Kinetic-drive allocation): a replica of a
 * range needs the range's bytes of storage and, per second, the range's writes (every replica applies
 * each) plus its share of the reads (any replica serves them, so {@code reads / chain length}); the head
 * needs {@code headWeight × writes} more (it takes the clients' writes and sequences them). A node offers
 * {@code storageBytes} and {@code opsPerSecond}; its <i>utilization</i> is the larger of the two fractions
 * used. The best any placement can do is {@link Plan#lowerBound}.
 *
 * <p><b>Checkers</b> come first: a replica on a node that is draining or down moves to an up node; a
 * chain shorter than the replication factor gets a replica, one longer loses its most utilized non-head
 * member; where nodes carry racks, a range with two
 * replicas in one rack moves one to a rack it does not use. Targets are the up nodes outside the chain
 * that end least utilized, in a rack the chain does not use where there is one.
 *
 * <p><b>The balancer</b> then relieves the most utilized up node while it is above the mean by {@code
 * margin}: of all head moves (to another member of the chain: cheap, no data copied) and replica moves
 * (to a node outside the chain) from that node, it takes the one that leaves the larger utilization of
 * the nodes it touches lowest, if it lowers the node's utilization by at least half the margin; else it
 * tries the next node. Moves in flight count as done, no node takes part in more than {@code
 * maxPerNode} moves at once and none receives more than {@code maxCopiesPerNode} copies (a copy writes a
 * whole range on the node that takes it: a new node fills one range at a time, while a draining node's
 * copies, which go to several nodes, leave it {@code maxPerNode} at a time), so plans neither pile up on
 * a node nor oscillate. Last, heads are evened out
 * by the operations the model gives them and then by the requests that enter them (writes and
 * latest-reads), each head move only where it keeps the earlier passes' balance.
 *
 * <p>A range takes one move at a time (the controller runs one operator per range): none while one is
 * under way, at most one per plan. And no balancing move brings a range's head or a replica back to a
 * node that a move which ended lately took it off (the caller says which moves those are): measurements
 * trail the moves, and without this rule plans handed heads to and fro.
 */
public final class Planner {
  private final PlacementSettings settings;

  /**
   * The part of the margin inside which the head-requests pass keeps the nodes it touches. The other
   * passes act on nodes outside mean ± margin, and their means move a little with every head they hand on
   * (the mean of the nodes' utilizations does, where bandwidths differ): a head-requests move that left a
   * node just inside the band by one mean left it just outside by the next plan's, which then handed the
   * head back. Keeping a quarter of the margin spare means no such move is undone.
   */
  private static final double INNER_BAND = 0.75;

  public Planner(PlacementSettings settings) {
    this.settings = settings;
  }

  /**
   * The plan for now.
   *
   * @param table the routing table
   * @param nodes the cluster's nodes; a node the table names and this list does not is taken as down
   * @param stats statistics per range id (a range without is taken to weigh nothing)
   * @param replicationFactor the chain length to keep
   * @param inFlight moves already under way (their result is taken as done)
   */
  public Plan plan(
      RoutingTable table, List<NodeSpec> nodes, Map<Long, RangeStats> stats, int replicationFactor, List<Move> inFlight) {
    return plan(table, nodes, stats, replicationFactor, inFlight, List.of());
  }

  /**
   * The plan for now, given also the moves that ended lately ({@code recent}): no balancing move takes a
   * range's head or replica back to the node one of them took it from. The checkers (a down or draining
   * node, a chain of the wrong length, two replicas in a rack) are not held back.
   */
  public Plan plan(RoutingTable table, List<NodeSpec> nodes, Map<Long, RangeStats> stats, int replicationFactor,
      List<Move> inFlight, List<Move> recent) {
    Work w = new Work(table, nodes, stats);
    for (Move m : recent) {
      if (m instanceof Move.HeadMove h) {
        w.left.add(h.rangeId() + "/" + h.from());
      } else if (m instanceof Move.ReplicaMove r) {
        w.left.add(r.rangeId() + "/" + r.from());
      }
    }
    for (Move m : inFlight) {
      w.moving.add(m.rangeId()); // a split or a merge too: the range takes no move until it ends
      if (m instanceof Move.MergeRanges merge) {
        w.moving.add(merge.rightId());
      }
      if (w.chains.containsKey(m.rangeId()) && !(m instanceof Move.SplitRange) && !(m instanceof Move.MergeRanges)) {
        // A replica move whose new replica joined is left with the old one's removal, which waits for its
        // read lease: the node it filled may take its next copy meanwhile (in bench/elastic.sh a new
        // node's 23 moves took 38 s instead of 53).
        boolean joined = m instanceof Move.ReplicaMove r && w.chains.get(m.rangeId()).contains(r.to());
        w.apply(m);
        if (joined) {
          w.occupy(new Move.RemoveReplica(m.rangeId(), ((Move.ReplicaMove) m).from(), m.reason()));
        } else {
          w.occupy(m);
        }
      }
    }
    double before = w.maxUtilization();
    List<Move> moves = new ArrayList<>();
    List<Plan.Rejected> rejected = new ArrayList<>();
    check(w, replicationFactor, moves, rejected);
    boolean copying = inFlight.stream().anyMatch(Planner::copies);
    balance(w, moves, rejected, copying);
    SortedMap<String, Double> utilization = new TreeMap<>();
    for (String n : w.upNodes()) {
      utilization.put(n, w.utilization(n));
    }
    return new Plan(moves, rejected, before, w.maxUtilization(), w.lowerBound(), utilization);
  }

  // ------------------------------------------------------------------------------------- checkers

  private void check(Work w, int rf, List<Move> moves, List<Plan.Rejected> rejected) {
    for (long id : w.chains.keySet()) {
      if (w.moving(id)) {
        continue; // its move under way comes first; the next plan sees what it left
      }
      for (String node : List.copyOf(w.chains.get(id))) {
        NodeSpec spec = w.spec(node);
        if (!spec.accepting()) {
          String why = spec.state() == NodeSpec.State.DRAINING ? "node " + node + " is draining" : "node " + node + " is down";
          propose(w, id, node, why, w.racksOf(id, node), moves, rejected);
        }
      }
      List<String> chain = w.chains.get(id);
      if (chain.size() > rf && !w.moving(id)) {
        // The most utilized member leaves; the head only if every member is the head's equal.
        String from = chain.stream().skip(1).max(Comparator.comparingDouble(w::utilization)).orElseThrow();
        Move m = new Move.RemoveReplica(id, from, "the chain has " + chain.size() + " of " + rf + " replicas");
        if (!w.free(from)) {
          rejected.add(new Plan.Rejected(m, "node " + from + " is busy with " + settings.maxPerNode() + " moves"));
        } else if (moves.size() < settings.maxMoves()) {
          moves.add(m);
          w.apply(m);
          w.occupy(m);
        }
      }
      if (w.chains.get(id).size() < rf && !w.moving(id)) {
        propose(w, id, null, "the chain has " + w.chains.get(id).size() + " of " + rf + " replicas",
            w.racksOf(id, null), moves, rejected);
      }
    }
    if (w.racksConfigured()) {
      for (long id : w.chains.keySet()) {
        if (w.moving(id)) {
          continue;
        }
        Map<String, List<String>> byRack = new TreeMap<>();
        for (String node : w.chains.get(id)) {
          byRack.computeIfAbsent(w.spec(node).rack(), r -> new ArrayList<>()).add(node);
        }
        for (Map.Entry<String, List<String>> e : byRack.entrySet()) {
          if (e.getKey().isEmpty() || e.getValue().size() < 2) {
            continue;
          }
          String from = e.getValue().stream().max(Comparator.comparingDouble(w::utilization)).orElseThrow();
          Set<String> used = w.racksOf(id, from);
          boolean freeRack = w.upNodes().stream().anyMatch(n -> !w.spec(n).rack().isEmpty() && !used.contains(w.spec(n).rack()));
          if (freeRack) {
            propose(w, id, from, "two replicas in rack " + e.getKey(), used, moves, rejected);
          }
        }
      }
    }
  }

  /** A checker's move of range {@code id} off {@code from} (null: a new replica) to the best target. */
  private void propose(
      Work w, long id, String from, String why, Set<String> avoidRacks, List<Move> moves, List<Plan.Rejected> rejected) {
    String best = null;
    double bestScore = Double.MAX_VALUE;
    boolean bestRackFree = false;
    String busy = null;
    for (String to : w.upNodes()) {
      if (w.chains.get(id).contains(to)) {
        continue;
      }
      if (!w.mayReceive(to)) {
        busy = to;
        continue;
      }
      boolean rackFree = w.spec(to).rack().isEmpty() || !avoidRacks.contains(w.spec(to).rack());
      double score = w.score(id, w.moved(id, from, to));
      if (best == null || (rackFree && !bestRackFree) || (rackFree == bestRackFree && score < bestScore)) {
        best = to;
        bestScore = score;
        bestRackFree = rackFree;
      }
    }
    Move m = from == null ? new Move.AddReplica(id, best == null ? "?" : best, why)
        : new Move.ReplicaMove(id, from, best == null ? "?" : best, why);
    if (best == null) {
      rejected.add(new Plan.Rejected(m, busy != null ? "every possible target is busy (" + w.busyWith(busy)
          + ")" : "no up node outside the chain"));
    } else if (from != null && !w.free(from)) {
      rejected.add(new Plan.Rejected(m, "node " + from + " is busy with " + settings.maxPerNode() + " moves"));
    } else if (moves.size() >= settings.maxMoves()) {
      rejected.add(new Plan.Rejected(m, "the plan already has " + settings.maxMoves() + " moves"));
    } else {
      moves.add(m);
      w.apply(m);
      w.occupy(m);
    }
  }

  // ------------------------------------------------------------------------------------- balancer

  /** Whether {@code m} copies a replica (so the chains it touches are not yet what they will be). */
  private static boolean copies(Move m) {
    return m instanceof Move.ReplicaMove || m instanceof Move.AddReplica;
  }

  private void balance(Work w, List<Move> moves, List<Plan.Rejected> rejectedOut, boolean copying) {
    List<Plan.Rejected> rejected = new ArrayList<>();
    try {
      balanceRounds(w, moves, rejected);
      balanceHeads(w, moves);
      if (!copying && moves.stream().noneMatch(Planner::copies)) {
        balanceHeadRequests(w, moves);
      }
    } finally {
      rejectedOut.addAll(rejected);
    }
  }

  /**
   * What one head pass evens out: a load per node now and were a range's chain another, the ranges whose
   * heads it may move, and the reasons it gives.
   */
  private interface HeadLoad {
    double now(String node);

    /** The level each up node would be at were the load spread evenly (the same whichever node leads). */
    double mean();

    double after(long id, List<String> next, String node);

    boolean counts(long id);

    /** Whether a move that takes a hot node down may leave the receiving node hot. */
    boolean mayMakeHot();

    /** Any further condition on handing range {@code id}'s head from {@code src} to {@code to}. */
    boolean allowed(long id, List<String> next, String src, String to);

    String hotReason();

    String coldReason();
  }

  /**
   * One head pass: while moves are left, hands on the head whose move gains most by {@code load} (made
   * again each round, after the moves chosen so far): from a node above the mean by the margin, gaining
   * half the margin; or into a node below the mean by the margin, any gain, staying at or below the mean.
   */
  private void balanceHeadsBy(Work w, List<Move> moves, java.util.function.Supplier<HeadLoad> loads) {
    while (moves.size() < settings.maxMoves()) {
      HeadLoad load = loads.get();
      double mean = load.mean();
      if (mean <= 0) {
        return;
      }
      double minGain = mean * settings.margin() / 2;
      Move chosen = null;
      double bestGain = 0;
      for (Map.Entry<Long, List<String>> e : w.chains.entrySet()) {
        long id = e.getKey();
        List<String> chain = e.getValue();
        String src = chain.get(0);
        if (!load.counts(id) || w.moving(id) || !w.spec(src).accepting() || !w.free(src)) {
          continue;
        }
        boolean hot = load.now(src) > mean * (1 + settings.margin());
        for (String to : chain) {
          if (to.equals(src) || !w.spec(to).accepting() || !w.mayReceive(to) || !w.mayReturn(id, to)) {
            continue;
          }
          boolean cold = load.now(to) < mean * (1 - settings.margin());
          if (!hot && !cold) {
            continue;
          }
          List<String> next = w.headed(id, to);
          double toAfter = load.after(id, next, to);
          double srcAfter = load.after(id, next, src);
          double gain = load.now(src) - Math.max(srcAfter, toAfter);
          // Filling a cold node must not overshoot: a source left below the receiver would be the next
          // plan's cold node, and the head would come back.
          boolean worth = (hot && gain >= minGain
                  && (load.mayMakeHot() || toAfter <= mean * (1 + settings.margin()) + 1e-9))
              || (cold && gain > 1e-9 && toAfter <= mean + 1e-9 && srcAfter >= toAfter - 1e-12);
          if (worth && gain > bestGain + 1e-12 && load.allowed(id, next, src, to)) {
            bestGain = gain;
            chosen = new Move.HeadMove(id, src, to,
                String.format(hot ? load.hotReason() : load.coldReason(), hot ? src : to, mean));
          }
        }
      }
      if (chosen == null) {
        return;
      }
      moves.add(chosen);
      w.apply(chosen);
      w.occupy(chosen);
    }
  }

  /**
   * Heads by operations alone: where storage is what binds (every node holds its share of bytes), the
   * utilization hides how the work is spread, and a node that leads more ranges serves more. A head move
   * copies nothing, so it is worth making when it brings a node above the mean operations (as a fraction
   * of its bandwidth) by the margin down by half the margin, or gives a node below the mean by the margin
   * any gain while it stays at or below the mean (a new node leading no range yet).
   */
  private void balanceHeads(Work w, List<Move> moves) {
    HeadLoad ops = new HeadLoad() {
      public double now(String node) {
        return w.opsFraction(node);
      }

      public double mean() {
        return w.opsMean();
      }

      public double after(long id, List<String> next, String node) {
        return w.opsAfter(id, next, node);
      }

      public boolean counts(long id) {
        return !w.weightless(id);
      }

      public boolean mayMakeHot() {
        return true;
      }

      public boolean allowed(long id, List<String> next, String src, String to) {
        return true;
      }

      public String hotReason() {
        return "node %s serves more than the mean %.3f of its operations by more than the margin";
      }

      public String coldReason() {
        return "node %s serves less than the mean %.3f of its operations by more than the margin";
      }
    };
    balanceHeadsBy(w, moves, () -> ops);
  }

  /**
   * Heads by the requests that enter them (writes and latest-reads): the last, cheapest step. The model
   * spreads a write's work over the whole chain (every replica applies it), so a node that leads a few
   * ranges fewer than the others may be within the margin of their operations and still take markedly
   * fewer of the clients' calls (three nodes leading 6, 7 and 7 of 24 ranges beside a new one leading 4
   * served 17 % more calls on average in one measurement). A head move is made only when it leaves every
   * node it touches as it was against the bands the other passes act on (operations and utilization
   * within the mean ± the margin, with a quarter of the margin to spare: {@link #INNER_BAND}): so no pass
   * undoes another's work, and the next plan has nothing to take back. A node relieved of a head must not become one above the mean by the margin itself, and the pass
   * waits until no replica is being copied (in flight or in this plan): while a new node fills, the chains
   * it joins change from plan to plan, and heads balanced among the chains of the moment were seen to be
   * handed on and back within seconds.
   */
  private void balanceHeadRequests(Work w, List<Move> moves) {
    balanceHeadsBy(w, moves, () -> {
      Map<String, Double> heads = w.headRequests();
      double headMean = w.upNodes().stream().mapToDouble(n -> heads.getOrDefault(n, 0.0)).average().orElse(0);
      double opsMean = w.opsMean();
      double utilMean = w.meanUtilization();
      return new HeadLoad() {
        public double now(String node) {
          return heads.getOrDefault(node, 0.0);
        }

        public double mean() {
          return headMean;
        }

        public double after(long id, List<String> next, String node) {
          double x = w.headRequestsOf(id);
          return now(node) - (w.chains.get(id).get(0).equals(node) ? x : 0) + (next.get(0).equals(node) ? x : 0);
        }

        public boolean counts(long id) {
          return w.headRequestsOf(id) > 0;
        }

        public boolean mayMakeHot() {
          return false;
        }

        public boolean allowed(long id, List<String> next, String src, String to) {
          return w.staysInBands(id, next, List.of(src, to), opsMean, utilMean, settings.margin() * INNER_BAND);
        }

        public String hotReason() {
          return "node %s takes more than the mean %.1f head requests/s by more than the margin";
        }

        public String coldReason() {
          return "node %s takes less than the mean %.1f head requests/s by more than the margin";
        }
      };
    });
  }

  /** Rounds of the balancer; {@code rejected} holds what the last round rejected. */
  private void balanceRounds(Work w, List<Move> moves, List<Plan.Rejected> rejected) {
    while (moves.size() < settings.maxMoves()) {
      rejected.clear();
      double mean = w.meanUtilization();
      double threshold = mean * (1 + settings.margin());
      double minGain = mean * settings.margin() / 2;
      List<String> hot = new ArrayList<>(w.upNodes());
      hot.removeIf(n -> w.utilization(n) <= threshold || w.utilization(n) <= 0);
      hot.sort(Comparator.comparingDouble((String n) -> -w.utilization(n)).thenComparing(n -> n));
      Move chosen = null;
      for (String src : hot) {
        Candidate best = bestFrom(w, src);
        if (best == null) {
          continue;
        }
        double gain = w.utilization(src) - best.score;
        if (!w.free(src)) {
          rejected.add(new Plan.Rejected(best.move(src, mean),
              "node " + src + " is busy with " + settings.maxPerNode() + " moves"));
          continue;
        }
        if (gain < minGain) {
          rejected.add(new Plan.Rejected(best.move(src, mean), String.format(
              "gains too little: %.3f -> %.3f, less than half the margin (%.3f)", w.utilization(src), best.score, minGain)));
          continue;
        }
        chosen = best.move(src, mean);
        break;
      }
      if (chosen == null) {
        chosen = fillCold(w, mean, minGain);
      }
      if (chosen == null) {
        return;
      }
      moves.add(chosen);
      w.apply(chosen);
      w.occupy(chosen);
    }
  }

  /**
   * A node below the mean by the margin takes what gains most from any more utilized node: so a node that
   * a hot node cannot give to (it already holds replicas of the hot node's ranges) frees room elsewhere.
   * Here any strict gain will do, not half the margin, as long as the cold node stays at or below the
   * mean afterwards: a node among many ranges moves in steps smaller than the margin (a new node beside
   * three holding 24 replicas each gains 1/18 of a share per replica, and the head's extra work makes
   * the source's gain smaller still), and a move into a node that stays below the mean cannot be undone
   * by the next plan.
   */
  private Move fillCold(Work w, double mean, double minGain) {
    List<String> cold = new ArrayList<>(w.upNodes());
    cold.removeIf(n -> w.utilization(n) >= mean * (1 - settings.margin()) || !w.mayReceive(n));
    cold.sort(Comparator.comparingDouble(w::utilization).thenComparing(n -> n));
    for (String to : cold) {
      Move best = null;
      double bestGain = 1e-9;
      for (Map.Entry<Long, List<String>> e : w.chains.entrySet()) {
        long id = e.getKey();
        List<String> chain = e.getValue();
        if (w.weightless(id) || w.moving(id)) {
          continue;
        }
        for (String from : chain) {
          if (!w.spec(from).accepting() || !w.free(from) || w.utilization(from) <= w.utilization(to)
              || !w.mayReturn(id, to)) {
            continue;
          }
          List<String> next;
          boolean head;
          if (chain.contains(to)) {
            if (!chain.get(0).equals(from)) {
              continue;
            }
            next = w.headed(id, to);
            head = true;
          } else {
            Set<String> racks = w.racksOf(id, from);
            if (!w.spec(to).rack().isEmpty() && racks.contains(w.spec(to).rack())) {
              continue;
            }
            next = w.moved(id, from, to);
            head = false;
          }
          double gain = w.utilization(from) - w.score(id, next);
          double toAfter = w.after(id, next, to);
          // It fills the cold node, without overshooting: a move that leaves its utilization as it was (a
          // head handed to a node whose storage is what binds) only shifts work between warmer nodes,
          // which the passes that balance heads may then hand back; and a source left below the receiver
          // would be the next plan's cold node.
          if (gain > bestGain + 1e-12 && toAfter > w.utilization(to) + 1e-12
              && w.after(id, next, from) >= toAfter - 1e-12 && (gain >= minGain || toAfter <= mean + 1e-9)) {
            bestGain = gain;
            String why = String.format("node %s is below the mean utilization %.3f by more than the margin", to, mean);
            best = head ? new Move.HeadMove(id, from, to, why) : new Move.ReplicaMove(id, from, to, why);
          }
        }
      }
      if (best != null) {
        return best;
      }
    }
    return null;
  }

  private record Candidate(long rangeId, String to, boolean head, double score) {
    Move move(String from, double mean) {
      String why = String.format("node %s is above the mean utilization %.3f by more than the margin", from, mean);
      return head ? new Move.HeadMove(rangeId, from, to, why) : new Move.ReplicaMove(rangeId, from, to, why);
    }
  }

  /**
   * The head or replica move from {@code src} to a node that may take part in one more move, that leaves
   * the nodes it touches least utilized.
   */
  private Candidate bestFrom(Work w, String src) {
    Candidate best = null;
    for (Map.Entry<Long, List<String>> e : w.chains.entrySet()) {
      long id = e.getKey();
      List<String> chain = e.getValue();
      if (!chain.contains(src) || w.weightless(id) || w.moving(id)) {
        continue;
      }
      if (chain.get(0).equals(src)) {
        for (String to : chain) {
          if (!to.equals(src) && w.spec(to).accepting() && w.mayReceive(to) && w.mayReturn(id, to)) {
            best = better(best, new Candidate(id, to, true, w.score(id, w.headed(id, to))));
          }
        }
      }
      Set<String> racks = w.racksOf(id, src);
      for (String to : w.upNodes()) {
        if (chain.contains(to) || !w.mayReceive(to)
            || (!w.spec(to).rack().isEmpty() && racks.contains(w.spec(to).rack()))
            || !w.mayReturn(id, to)) {
          continue;
        }
        best = better(best, new Candidate(id, to, false, w.score(id, w.moved(id, src, to))));
      }
    }
    return best;
  }

  /** The lower score; on a tie a head move (nothing to copy), then the lower range id and node name. */
  private static Candidate better(Candidate a, Candidate b) {
    if (a == null) {
      return b;
    }
    double eps = 1e-12;
    if (b.score < a.score - eps) {
      return b;
    }
    if (b.score > a.score + eps) {
      return a;
    }
    if (a.head != b.head) {
      return a.head ? a : b;
    }
    if (a.rangeId != b.rangeId) {
      return a.rangeId < b.rangeId ? a : b;
    }
    return a.to.compareTo(b.to) <= 0 ? a : b;
  }

  // --------------------------------------------------------------------------------- working state

  /** Chains (node names, head first) and what each node carries, changed as moves are planned. */
  private final class Work {
    final Map<String, NodeSpec> specs = new TreeMap<>();
    final Map<Long, List<String>> chains = new TreeMap<>();
    final Map<Long, RangeStats> stats;
    final Map<String, double[]> usage = new HashMap<>();
    final Map<String, Integer> busy = new HashMap<>();
    /** Copies each node receives (planned or under way, not yet joined). */
    final Map<String, Integer> copies = new HashMap<>();
    /** Ranges with a move in this plan or under way: the controller runs one operator per range at a time. */
    final Set<Long> moving = new HashSet<>();
    /** "range/node": a recent move took the range's head or a replica off the node. */
    final Set<String> left = new HashSet<>();

    Work(RoutingTable table, List<NodeSpec> nodes, Map<Long, RangeStats> stats) {
      this.stats = stats;
      for (NodeSpec n : nodes) {
        if (specs.put(n.node(), n) != null) {
          throw new IllegalArgumentException("node " + n.node() + " is listed twice");
        }
      }
      for (RangeConfig r : table.ranges()) {
        List<String> chain = new ArrayList<>();
        for (Replica x : r.chain()) {
          chain.add(x.node());
          specs.computeIfAbsent(x.node(), n -> new NodeSpec(n, "", 1, 1, NodeSpec.State.DOWN));
        }
        chains.put(r.rangeId(), chain);
        add(r.rangeId(), chain, 1);
      }
    }

    NodeSpec spec(String node) {
      return specs.get(node);
    }

    List<String> upNodes() {
      return specs.values().stream().filter(NodeSpec::accepting).map(NodeSpec::node).toList();
    }

    boolean racksConfigured() {
      return specs.values().stream().anyMatch(s -> s.accepting() && !s.rack().isEmpty());
    }

    /** The racks of the range's replicas other than the one on {@code except}. */
    Set<String> racksOf(long id, String except) {
      Set<String> racks = new HashSet<>();
      for (String n : chains.get(id)) {
        if (!n.equals(except) && !spec(n).rack().isEmpty()) {
          racks.add(spec(n).rack());
        }
      }
      return racks;
    }

    boolean weightless(long id) {
      RangeStats s = stats.get(id);
      return s == null || (s.bytes() == 0 && s.readsPerSecond() == 0 && s.writesPerSecond() == 0);
    }

    /** Whether {@code node} may take part in one more move (a node that is down is not throttled). */
    boolean free(String node) {
      return spec(node).state() == NodeSpec.State.DOWN || busy.getOrDefault(node, 0) < settings.maxPerNode();
    }

    /**
     * Whether {@code node} may receive one more copy (a node that is down is not throttled); a balancing
     * pass gives no head to a node that may not either: a head is the cheap way to fill a node, and heads
     * handed to a new node while its copies wait filled it by operations with a short share of bytes
     * (PlannerTest: 14 of 18 replicas and 10 heads of 6).
     */
    boolean takesCopy(String node) {
      return spec(node).state() == NodeSpec.State.DOWN || copies.getOrDefault(node, 0) < settings.maxCopiesPerNode();
    }

    /** Whether {@code node} may be the target of one more move: a copy or a head ({@link #takesCopy}). */
    boolean mayReceive(String node) {
      return free(node) && takesCopy(node);
    }

    /** What keeps {@code node} from one more move or copy, for a rejection's reason. */
    String busyWith(String node) {
      int n = settings.maxCopiesPerNode();
      return free(node) ? "node " + node + " already receives " + n + (n == 1 ? " copy" : " copies")
          : "node " + node + " is busy with " + settings.maxPerNode() + " moves";
    }

    void occupy(Move m) {
      for (String n : m.nodes()) {
        busy.merge(n, 1, Integer::sum);
      }
      if (m instanceof Move.ReplicaMove r) {
        copies.merge(r.to(), 1, Integer::sum);
      } else if (m instanceof Move.AddReplica a) {
        copies.merge(a.to(), 1, Integer::sum);
      }
      moving.add(m.rangeId());
      if (m instanceof Move.MergeRanges merge) {
        moving.add(merge.rightId());
      }
    }

    /** Whether a balancing move may bring range {@code id}'s head or a replica to {@code node}. */
    boolean mayReturn(long id, String node) {
      return left.isEmpty() || !left.contains(id + "/" + node);
    }

    /** Whether range {@code id} has a move already (planned here or under way): it takes no other. */
    boolean moving(long id) {
      return moving.contains(id);
    }

    /** What each node of {@code chain} carries for range {@code id}: bytes and operations per second. */
    Map<String, double[]> demand(long id, List<String> chain) {
      RangeStats s = stats.getOrDefault(id, RangeStats.unknown(id));
      Map<String, double[]> d = new HashMap<>();
      // Reads spread over the chain, but latest-reads are served by the head.
      double readShare = chain.isEmpty() ? 0 : (s.readsPerSecond() - s.headReadsPerSecond()) / chain.size();
      for (int i = 0; i < chain.size(); i++) {
        double ops = s.writesPerSecond() + readShare
            + (i == 0 ? settings.headWeight() * s.writesPerSecond() + s.headReadsPerSecond() : 0);
        d.put(chain.get(i), new double[] {s.bytes(), ops});
      }
      return d;
    }

    void add(long id, List<String> chain, int sign) {
      for (Map.Entry<String, double[]> e : demand(id, chain).entrySet()) {
        double[] u = usage.computeIfAbsent(e.getKey(), n -> new double[2]);
        u[0] += sign * e.getValue()[0];
        u[1] += sign * e.getValue()[1];
      }
    }

    double utilization(String node) {
      double[] u = usage.getOrDefault(node, new double[2]);
      NodeSpec s = spec(node);
      return Math.max(u[0] / s.storageBytes(), u[1] / s.opsPerSecond());
    }

    /**
     * The highest utilization among the up nodes whose share of range {@code id} changes, were its chain
     * {@code next} instead of what it is.
     */
    double score(long id, List<String> next) {
      List<String> now = chains.get(id);
      Map<String, double[]> before = demand(id, now);
      Map<String, double[]> after = demand(id, next);
      Set<String> touched = new HashSet<>(before.keySet());
      touched.addAll(after.keySet());
      return whatIf(id, next, () -> {
        double score = 0;
        for (String n : touched) {
          double[] b = before.getOrDefault(n, new double[2]);
          double[] a = after.getOrDefault(n, new double[2]);
          if (spec(n).accepting() && (b[0] != a[0] || b[1] != a[1])) {
            score = Math.max(score, utilization(n));
          }
        }
        return score;
      });
    }

    /** {@code measure} of the usage as it would be with range {@code id}'s chain {@code next}. */
    private double whatIf(long id, List<String> next, java.util.function.DoubleSupplier measure) {
      List<String> now = chains.get(id);
      add(id, now, -1);
      add(id, next, 1);
      try {
        return measure.getAsDouble();
      } finally {
        add(id, next, -1);
        add(id, now, 1);
      }
    }

    /** The requests per second the clients send to range {@code id}'s head: its writes and latest-reads. */
    double headRequestsOf(long id) {
      RangeStats s = stats.getOrDefault(id, RangeStats.unknown(id));
      return s.writesPerSecond() + s.headReadsPerSecond();
    }

    /** {@link #headRequestsOf} summed over the ranges each node leads. */
    Map<String, Double> headRequests() {
      Map<String, Double> out = new HashMap<>();
      chains.forEach((id, chain) -> out.merge(chain.get(0), headRequestsOf(id), Double::sum));
      return out;
    }

    /**
     * Whether each of {@code nodes}, were range {@code id}'s chain {@code next}, would be inside the bands
     * mean ± {@code m} of operations and of utilization, or outside on the side it is now and no farther out.
     */
    boolean staysInBands(long id, List<String> next, List<String> nodes, double opsMean, double utilMean, double m) {
      for (String n : nodes) {
        if (!sameBand(opsFraction(n), opsAfter(id, next, n), opsMean, m)
            || !sameBand(utilization(n), after(id, next, n), utilMean, m)) {
          return false;
        }
      }
      return true;
    }

    /** Inside mean ± margin after, or outside on the same side as now and no farther out. */
    private static boolean sameBand(double now, double after, double mean, double margin) {
      int bandNow = now > mean * (1 + margin) + 1e-12 ? 1 : now < mean * (1 - margin) - 1e-12 ? -1 : 0;
      int bandAfter = after > mean * (1 + margin) + 1e-12 ? 1 : after < mean * (1 - margin) - 1e-12 ? -1 : 0;
      return bandAfter == 0 || (bandAfter == bandNow && Math.abs(after - mean) <= Math.abs(now - mean) + 1e-12);
    }

    /**
     * The operations of the up nodes over their bandwidth: what {@link #opsFraction} would be on each were
     * the work spread in proportion to bandwidth. Unlike the mean of the fractions it does not change when a
     * head moves between nodes of different bandwidth (a head's extra work stays the same, only its node
     * changes), so the passes that move heads measure against one level: with the mean of the fractions, a
     * head handed to a node of less bandwidth lowered the mean under it, and the next plan saw that node
     * below the mean by the margin again and handed it another head while the head-requests pass took one
     * off it, for ever.
     */
    double opsMean() {
      double ops = 0;
      double bandwidth = 0;
      for (String n : upNodes()) {
        ops += usage.getOrDefault(n, new double[2])[1];
        bandwidth += spec(n).opsPerSecond();
      }
      return bandwidth > 0 ? ops / bandwidth : 0;
    }

    /** The operations of {@code node} as a fraction of its bandwidth. */
    double opsFraction(String node) {
      return usage.getOrDefault(node, new double[2])[1] / spec(node).opsPerSecond();
    }

    /** {@link #opsFraction} of {@code node} if range {@code id}'s chain were {@code next}. */
    double opsAfter(long id, List<String> next, String node) {
      return whatIf(id, next, () -> opsFraction(node));
    }

    /** The utilization of {@code node} if range {@code id}'s chain were {@code next}. */
    double after(long id, List<String> next, String node) {
      return whatIf(id, next, () -> utilization(node));
    }

    /**
     * The chain of {@code id} once {@code to} replaced {@code from} (null: nobody): in its place for a
     * middle or tail (see {@link MoveBook#withoutLeaver}), else at the tail.
     */
    List<String> moved(long id, String from, String to) {
      return replaced(chains.get(id), from, to);
    }

    /** {@code chain} once {@code to} (not in it) replaced {@code from}, as {@link #moved} says. */
    private static List<String> replaced(List<String> chain, String from, String to) {
      List<String> next = new ArrayList<>(chain);
      int at = from == null ? -1 : next.indexOf(from);
      if (at > 0) {
        next.set(at, to);
      } else {
        next.remove(from);
        next.add(to);
      }
      return next;
    }

    /** The chain of {@code id} with {@code to} as its head, the others in their order. */
    List<String> headed(long id, String to) {
      List<String> next = new ArrayList<>(chains.get(id));
      next.remove(to);
      next.add(0, to);
      return next;
    }

    void apply(Move m) {
      long id = m.rangeId();
      List<String> next;
      if (m instanceof Move.ReplicaMove r) {
        if (!chains.get(id).contains(r.from())) {
          return; // done already, or overtaken by another change
        }
        List<String> before = new ArrayList<>(chains.get(id));
        before.remove(r.to()); // joined at the tail already: it takes a middle's or tail's place when that leaves
        next = replaced(before, r.from(), r.to());
      } else if (m instanceof Move.HeadMove h) {
        if (!chains.get(id).contains(h.to())) {
          return;
        }
        next = headed(id, h.to());
      } else if (m instanceof Move.RemoveReplica r) {
        if (!chains.get(id).contains(r.from()) || chains.get(id).size() < 2) {
          return;
        }
        next = new ArrayList<>(chains.get(id));
        next.remove(r.from());
      } else {
        Move.AddReplica a = (Move.AddReplica) m;
        if (chains.get(id).contains(a.to())) {
          return;
        }
        next = moved(id, null, a.to());
      }
      add(id, chains.get(id), -1);
      chains.put(id, next);
      add(id, next, 1);
    }

    double maxUtilization() {
      return upNodes().stream().mapToDouble(this::utilization).max().orElse(0);
    }

    double meanUtilization() {
      return upNodes().stream().mapToDouble(this::utilization).average().orElse(0);
    }

    /** {@code max(Σsize / S, Σops / B)} over the up nodes. */
    double lowerBound() {
      double bytes = 0;
      double ops = 0;
      for (double[] u : usage.values()) {
        bytes += u[0];
        ops += u[1];
      }
      double s = 0;
      double b = 0;
      for (String n : upNodes()) {
        s += spec(n).storageBytes();
        b += spec(n).opsPerSecond();
      }
      return s == 0 ? 0 : Math.max(bytes / s, ops / b);
    }
  }
}
