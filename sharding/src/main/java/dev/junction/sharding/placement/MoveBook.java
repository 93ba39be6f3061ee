package dev.junction.sharding.placement;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.ReplicaId;
import dev.junction.sharding.routing.Replacement;
import dev.junction.sharding.routing.RoutingTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiPredicate;

/**
 * The controller's moves under way, as data: each an <i>operator</i> with an id, its range, a phase and
 * the time it entered it, advanced by {@link #step} from what the routing table and the replicas report
 * (a ready copy, a chain that holds the new replica, a lease that ran out), never from a message having
 * been sent. Pure, on a caller-supplied clock (nanoseconds).
 *
 * <p>A {@link Move.ReplicaMove} goes {@code COPYING} (the new replica, in a slot never used before,
 * copies the range from the tail over the bulk path, follows the tail's committed entries until it caught
 * up, and reports ready) → {@code JOINING} (the table adds it at the tail) → {@code RELEASING} (the old
 * replica gets no more read leases; once its lease ran out) → {@code REMOVING} (the table drops it) →
 * {@code DONE}. A {@link Move.HeadMove} goes {@code PROMOTING} (the table reorders the chain, nothing is
 * copied) → {@code DONE}. A {@link Move.RemoveReplica} starts at
 * {@code RELEASING}. A {@link Move.SplitRange} goes {@code RESERVING} (the table hands out its two new
 * range ids: until a table that did is published, no replica learns them) → {@code SEALING} (the head is
 * asked, every step, to sequence the split; once it committed, the head reports it and the controller
 * publishes the two ranges) → {@code DONE} when the table holds them. A {@link Move.MergeRanges} goes
 * {@code RESERVING} (its merged range id) → {@code SEALING} (the left range's head is asked to seal it;
 * its report says at which sequence number) → {@code MERGING} (the right range's head is asked to end it
 * into the merged range, which starts after both; once that committed the controller publishes the
 * merged range) → {@code DONE}. A merge occupies both of its ranges. A copy whose range's chain changed
 * meanwhile is {@code CANCELLED} (the planner proposes again from the new chain); a phase that outlives
 * its timeout is {@code EXPIRED}. One operator per range at a time.
 */
public final class MoveBook {
  /** Where an operator stands. */
  public enum Phase {
    COPYING,
    JOINING,
    RELEASING,
    REMOVING,
    PROMOTING,
    RESERVING,
    SEALING,
    MERGING,
    DONE,
    CANCELLED,
    EXPIRED;

    public boolean ended() {
      return this == DONE || this == CANCELLED || this == EXPIRED;
    }
  }

  /**
   * One move under way.
   *
   * @param slot the new replica's slot (a replica move), or the promoted replica's (a head move)
   * @param startEpoch the range's epoch when it started
   * @param copied whether the new replica reported its copy ready
   */
  public record Operator(long id, Move move, int slot, long startEpoch, Phase phase, long phaseSince, boolean copied) {
    public long rangeId() {
      return move.rangeId();
    }

    Operator to(Phase next, long now) {
      return new Operator(id, move, slot, startEpoch, next, now, copied);
    }
  }

  /** A new replica to ask to copy its range (placed on its node first when {@code place}). */
  public record Copy(RangeConfig range, int slot, String node, boolean place) {}

  /**
   * What the controller does for the operators now: ask for copies, publish {@code table} when it is
   * present (every change the operators want, in one table), withhold leases from {@code leaving}
   * replicas; {@code ended} lists the operators that ended in this step.
   */
  public record Step(
      List<Copy> copies, Optional<RoutingTable> table, Set<ReplicaId> leaving, List<Operator> ended, List<Seal> seals) {}

  /**
   * A head to ask to end its range ({@code range} as the table has it now) with {@code ending}; {@code
   * newId} is the highest range id the ending hands to a replica (it must be confirmed handed out first).
   */
  public record Seal(RangeConfig range, dev.junction.chain.core.Mutation.Ending ending, long newId) {
    /**
     * The replicas of the ranges this ending makes, by entity id, with the node each runs on: a split's two
     * parts keep the parent's replicas (every slot on its node, {@link RoutingTable#withSplit}); a merge's
     * range has the left range's replicas on the nodes that also hold the right one ({@link
     * RoutingTable#withMerge}). Empty for the left half of a merge whose right range {@code table} no
     * longer holds. Sharding must know these locations before the ending takes effect, or it starts the new
     * replicas wherever they are first called and moves them only at its next rebalance.
     */
    public java.util.SortedMap<String, String> createdReplicas(RoutingTable table) {
      java.util.SortedMap<String, String> created = new TreeMap<>();
      if (ending instanceof dev.junction.chain.core.Mutation.Split sp) {
        for (Replica r : range.chain()) {
          created.put(new ReplicaId(sp.leftId(), r.slot()).entityId(), r.node());
          created.put(new ReplicaId(sp.rightId(), r.slot()).entityId(), r.node());
        }
      } else if (ending instanceof dev.junction.chain.core.Mutation.Seal sealed) {
        table.after(range.rangeId()).ifPresent(right -> merged(range.chain(), right.chain(), sealed.intoId(), created));
      } else if (ending instanceof dev.junction.chain.core.Mutation.MergeInto into) {
        merged(into.leftChain(), range.chain(), into.intoId(), created);
      }
      return created;
    }

    private static void merged(List<Replica> left, List<Replica> right, long intoId, Map<String, String> created) {
      Set<String> rightNodes = new HashSet<>();
      right.forEach(r -> rightNodes.add(r.node()));
      for (Replica r : left) {
        if (rightNodes.contains(r.node())) {
          created.put(new ReplicaId(intoId, r.slot()).entityId(), r.node());
        }
      }
    }
  }

  private final Duration copyTimeout;
  private final Duration stepTimeout;
  private final Map<Long, Operator> byRange = new TreeMap<>();
  /** Operators whose new replica was placed on its node already. */
  private final Set<Long> placed = new HashSet<>();
  private long nextId = 1;

  /**
   * @param copyTimeout how long a copy may take before its operator expires
   * @param stepTimeout how long any other phase may take
   */
  public MoveBook(Duration copyTimeout, Duration stepTimeout) {
    this.copyTimeout = copyTimeout;
    this.stepTimeout = stepTimeout;
  }

  /**
   * Starts {@code move} on {@code table}'s range, unless the range has an operator already or the move
   * does not fit its chain (the replica to move is not in it, the target is). Replica moves, head moves
   * and removals are operators here; a chain short of replicas is the replacement planner's.
   *
   * @return the operator, or empty when it did not start
   */
  public Optional<Operator> start(Move move, RoutingTable table, long now) {
    RangeConfig range = table.range(move.rangeId()).orElse(null);
    if (range == null || busy(move.rangeId())) {
      return Optional.empty();
    }
    Operator op;
    if (move instanceof Move.ReplicaMove m) {
      if (slotOn(range, m.from()) < 0 || slotOn(range, m.to()) >= 0) {
        return Optional.empty();
      }
      op = new Operator(nextId++, move, Replacement.slotFor(range), range.epoch(), Phase.COPYING, now, false);
    } else if (move instanceof Move.HeadMove m) {
      int to = slotOn(range, m.to());
      if (to < 0 || range.head().slot() == to) {
        return Optional.empty();
      }
      op = new Operator(nextId++, move, to, range.epoch(), Phase.PROMOTING, now, false);
    } else if (move instanceof Move.RemoveReplica m) {
      int from = slotOn(range, m.from());
      if (from < 0 || range.chain().size() < 2) {
        return Optional.empty();
      }
      op = new Operator(nextId++, move, from, range.epoch(), Phase.RELEASING, now, false);
    } else if (move instanceof Move.SplitRange m) {
      byte[] at = m.at();
      if (!range.contains(at) || dev.junction.store.Keys.compare(at, range.start()) <= 0) {
        return Optional.empty();
      }
      long first = nextRangeId(table);
      op = new Operator(nextId++, m.withIds(first, first + 1), -1, range.epoch(), Phase.RESERVING, now, false);
    } else if (move instanceof Move.MergeRanges m) {
      RangeConfig right = table.range(m.rightId()).orElse(null);
      if (right == null || busy(m.rightId()) || !adjacent(range, right) || !sameNodes(range, right)) {
        return Optional.empty();
      }
      op = new Operator(nextId++, m.withMergedId(nextRangeId(table)), -1, range.epoch(), Phase.RESERVING, now, false);
    } else {
      return Optional.empty();
    }
    byRange.put(move.rangeId(), op);
    return Optional.of(op);
  }

  /** The lowest range id neither the table nor a split or merge under way handed out. */
  private long nextRangeId(RoutingTable table) {
    long last = table.lastRangeId();
    for (Operator op : byRange.values()) {
      last = Math.max(last, newId(op.move()));
    }
    return last + 1;
  }

  /** The highest range id a split or merge hands out (0 for other moves). */
  private static long newId(Move m) {
    if (m instanceof Move.SplitRange s) {
      return s.rightId();
    }
    return m instanceof Move.MergeRanges merge ? merge.mergedId() : 0;
  }

  /** Whether an operator under way involves range {@code rangeId} (a merge involves two). */
  public boolean busy(long rangeId) {
    return byRange.values().stream().anyMatch(op -> Move.involves(op.move(), rangeId));
  }

  /** Whether {@code right} starts where {@code left} ends. */
  public static boolean adjacent(RangeConfig left, RangeConfig right) {
    return left.end().length > 0 && java.util.Arrays.equals(left.end(), right.start());
  }

  /** Whether two chains use the same nodes (in any order): only then can their ranges merge without a copy. */
  public static boolean sameNodes(RangeConfig a, RangeConfig b) {
    return new HashSet<>(a.chain().stream().map(Replica::node).toList())
        .equals(new HashSet<>(b.chain().stream().map(Replica::node).toList()));
  }

  /**
   * The left range of merge into {@code intoId} reported itself sealed at {@code seq}: the merge goes on
   * with the right range. When no operator waited for it (it expired, or a controller took over without
   * it), one is started in that phase, so a sealed range is never left without its merge. False when the
   * table does not allow that merge any more.
   */
  public boolean leftSealed(RoutingTable table, long leftId, long intoId, long seq, long now) {
    Operator op = byRange.get(leftId);
    if (op != null && op.move() instanceof Move.MergeRanges m && m.mergedId() == intoId) {
      if (op.phase() == Phase.SEALING || op.phase() == Phase.RESERVING) {
        byRange.put(leftId, new Operator(op.id(), m.withLeftSeq(seq), -1, op.startEpoch(), Phase.MERGING, now, false));
      }
      return true;
    }
    RangeConfig left = table.range(leftId).orElse(null);
    RangeConfig right = table.after(leftId).orElse(null);
    if (op != null || left == null || right == null || table.range(intoId).isPresent() || intoId > table.lastRangeId()
        || busy(right.rangeId())) {
      return false;
    }
    byRange.put(leftId, new Operator(nextId++, new Move.MergeRanges(leftId, right.rangeId(), intoId, seq,
        "its left range was sealed for it"), -1, left.epoch(), Phase.MERGING, now, false));
    return true;
  }

  /**
   * Takes over {@code operators} that an earlier controller published with the routing table, each in the
   * phase it had then (the next {@link #step} moves each on from what the table shows now), its phase
   * clock starting {@code now}. Operator ids go on after theirs.
   */
  public void restore(List<Operator> operators, long now) {
    for (Operator op : operators) {
      if (!op.phase().ended() && !byRange.containsKey(op.rangeId())) {
        byRange.put(op.rangeId(), op.to(op.phase(), now));
      }
      nextId = Math.max(nextId, op.id() + 1);
    }
  }

  /**
   * One item of what a publication of the routing table records about the work under way: an operator in a
   * phase, or a node being drained (a change of these is worth publishing: see {@link #urgent}).
   */
  public sealed interface Work permits OperatorAt, Drain {}

  /** Operator {@code id} in {@code phase}. */
  public record OperatorAt(long id, Phase phase) implements Work {}

  /** Node {@code node} being drained. */
  public record Drain(String node) implements Work {}

  /** The operators under way as {@link OperatorAt}s: each one's id and phase. */
  public List<Work> signature() {
    return byRange.values().stream().<Work>map(op -> new OperatorAt(op.id(), op.phase())).toList();
  }

  /**
   * Whether the change from the {@code published} work (operators, see {@link #signature}, and drains) to
   * the {@code current} one must be published at once: when something started or moved to a phase a
   * controller that takes over cannot infer from the table. Operators that only ended, or that wait for a
   * replica's lease to run out ({@link Phase#RELEASING}), can wait for the next publication: from the
   * phase it last published, such an operator's next {@link #step} finds the same (its chain shows what
   * happened since), as after a controller that failed just before it published the change.
   */
  public static boolean urgent(java.util.Collection<Work> published, java.util.Collection<Work> current) {
    Set<Work> before = new HashSet<>(published);
    for (Work w : current) {
      if (!before.contains(w) && !(w instanceof OperatorAt o && o.phase() == Phase.RELEASING)) {
        return true;
      }
    }
    return false;
  }

  /** The new replica {@code slot} on {@code node} copied range {@code rangeId}: true when an operator waited for it. */
  public boolean ready(long rangeId, int slot, String node) {
    Operator op = byRange.get(rangeId);
    if (op == null || op.phase() != Phase.COPYING || op.slot() != slot
        || !((Move.ReplicaMove) op.move()).to().equals(node)) {
      return false;
    }
    byRange.put(rangeId, new Operator(op.id(), op.move(), slot, op.startEpoch(), op.phase(), op.phaseSince(), true));
    return true;
  }

  /** Cancels the operator {@code id}: true when it was under way. Its range keeps the chain it has now. */
  public boolean cancel(long id) {
    placed.remove(id);
    return byRange.values().removeIf(op -> op.id() == id);
  }

  /** The operators under way, by range id. */
  public List<Operator> operators() {
    return List.copyOf(byRange.values());
  }

  /**
   * The moves under way (for the planner, which counts them as done and as work of the nodes they name;
   * a replica move whose new replica already joined the chain counts only against the node it leaves,
   * see {@link Planner}).
   */
  public List<Move> inFlight() {
    return byRange.values().stream().map(Operator::move).toList();
  }

  /**
   * Advances every operator on {@code table} (the controller's newest) at {@code now}; {@code released}
   * says whether no read lease of a replica (range id, slot) can still run.
   */
  public Step step(RoutingTable table, BiPredicate<Long, Integer> released, long now) {
    List<Copy> copies = new ArrayList<>();
    Set<ReplicaId> leaving = new HashSet<>();
    List<Operator> ended = new ArrayList<>();
    List<Seal> seals = new ArrayList<>();
    RoutingTable next = table;
    boolean changed = false;
    for (Operator op : List.copyOf(byRange.values())) {
      RangeConfig range = table.range(op.rangeId()).orElse(null);
      Operator after;
      if (op.move() instanceof Move.SplitRange s) {
        after = advanceSplit(op, s, table, now);
      } else if (op.move() instanceof Move.MergeRanges m) {
        after = advanceMerge(op, m, table, now);
      } else {
        after = range == null ? op.to(Phase.CANCELLED, now) : advance(op, range, released, now);
      }
      long timeout = after.phase() == Phase.COPYING ? copyTimeout.toNanos() : stepTimeout.toNanos();
      if (!after.phase().ended() && now - after.phaseSince() > timeout) {
        after = after.to(Phase.EXPIRED, now);
      }
      if (after.phase().ended()) {
        byRange.remove(op.rangeId());
        placed.remove(op.id());
        ended.add(after);
        continue;
      }
      byRange.put(op.rangeId(), after);
      RangeConfig wanted = null;
      switch (after.phase()) {
        case COPYING -> copies.add(
            new Copy(range, after.slot(), ((Move.ReplicaMove) after.move()).to(), placed.add(after.id())));
        case JOINING -> wanted = Replacement.withJoined(range, after.slot(), ((Move.ReplicaMove) after.move()).to());
        case RELEASING -> leaving.add(range.replicaId(slotOn(range, leaver(after.move()))));
        case REMOVING -> {
          int from = slotOn(range, leaver(after.move()));
          leaving.add(range.replicaId(from));
          wanted = range.withChain(withoutLeaver(range.chain(), from, after));
        }
        case RESERVING -> {
          long wantedLast = newId(after.move());
          if (next.lastRangeId() < wantedLast) {
            next = next.reserveIds((int) (wantedLast - next.lastRangeId()));
            changed = true;
          }
        }
        case SEALING -> {
          if (after.move() instanceof Move.SplitRange sp) {
            seals.add(new Seal(range, new dev.junction.chain.core.Mutation.Split(sp.at(), sp.leftId(), sp.rightId()),
                sp.rightId()));
          } else {
            Move.MergeRanges m = (Move.MergeRanges) after.move();
            seals.add(new Seal(range, new dev.junction.chain.core.Mutation.Seal(range.end(), m.mergedId()), m.mergedId()));
          }
        }
        case MERGING -> {
          Move.MergeRanges m = (Move.MergeRanges) after.move();
          RangeConfig right = table.range(m.rightId()).orElseThrow();
          seals.add(new Seal(right, new dev.junction.chain.core.Mutation.MergeInto(right.start(), m.mergedId(),
              m.leftSeq(), range.start(), range.chain()), m.mergedId()));
        }
        case PROMOTING -> {
          List<Replica> chain = new ArrayList<>(range.chain());
          int promoted = after.slot();
          Replica head = chain.stream().filter(r -> r.slot() == promoted).findFirst().orElseThrow();
          chain.remove(head);
          chain.add(0, head);
          wanted = range.withChain(chain);
        }
        default -> { }
      }
      if (wanted != null) {
        next = next.withRange(wanted);
        changed = true;
      }
    }
    return new Step(copies, changed ? Optional.of(next) : Optional.empty(), leaving, ended, seals);
  }

  /**
   * A split's next phase: sealing once the table handed out its ids, done once the table holds the two
   * new ranges, cancelled when the range is gone otherwise.
   */
  /**
   * A merge's next phase: sealing once the table handed out its id, done once the table holds the merged
   * range, cancelled when either range is gone otherwise or they no longer share their nodes before the
   * left one is sealed (once it is, only the merge can take its keys over: it goes on).
   */
  private static Operator advanceMerge(Operator op, Move.MergeRanges m, RoutingTable table, long now) {
    if (table.range(m.mergedId()).isPresent()) {
      return op.to(Phase.DONE, now);
    }
    RangeConfig left = table.range(m.rangeId()).orElse(null);
    RangeConfig right = table.range(m.rightId()).orElse(null);
    if (left == null || right == null) {
      return op.to(Phase.CANCELLED, now);
    }
    if (op.phase() == Phase.RESERVING) {
      if (!sameNodes(left, right)) {
        return op.to(Phase.CANCELLED, now);
      }
      return table.lastRangeId() >= m.mergedId() ? op.to(Phase.SEALING, now) : op;
    }
    return op;
  }

  private static Operator advanceSplit(Operator op, Move.SplitRange s, RoutingTable table, long now) {
    if (table.range(op.rangeId()).isEmpty()) {
      boolean split = table.range(s.leftId()).isPresent() && table.range(s.rightId()).isPresent();
      return op.to(split ? Phase.DONE : Phase.CANCELLED, now);
    }
    if (op.phase() == Phase.RESERVING && table.lastRangeId() >= s.rightId()) {
      return op.to(Phase.SEALING, now);
    }
    return op;
  }

  /** The node whose replica a replica move or a removal takes out of the chain. */
  /**
   * The chain without the replica in slot {@code from}. For a replica move of a middle or tail replica,
   * the replica that joined for it (at the tail, to catch up) takes the leaver's place, so the middles
   * and tails stay on the nodes the planner put them on. (Appending every moved replica at the tail made a
   * node that received many of them the tail of most of its chains; tails answer the reads of keys with
   * a write in flight, and that node served a fifth more than the others.) A head that moves away leaves
   * the head to the next member, as before: heads are placed by head moves alone (a new replica taking
   * the head's place made the new node lead every range it took a head from, beyond its share).
   */
  static List<Replica> withoutLeaver(List<Replica> chain, int from, Operator op) {
    List<Replica> out = new ArrayList<>(chain);
    int at = -1;
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).slot() == from) {
        at = i;
      }
    }
    if (at < 0) {
      return out;
    }
    out.remove(at);
    if (op.move() instanceof Move.ReplicaMove && at > 0) {
      for (int i = 0; i < out.size(); i++) {
        if (out.get(i).slot() == op.slot() && i > at) {
          out.add(at, out.remove(i));
          break;
        }
      }
    }
    return out;
  }

  private static String leaver(Move m) {
    return m instanceof Move.RemoveReplica r ? r.from() : ((Move.ReplicaMove) m).from();
  }

  /** The operator's next phase on {@code range} as the table shows it now. */
  private static Operator advance(Operator op, RangeConfig range, BiPredicate<Long, Integer> released, long now) {
    if (op.move() instanceof Move.RemoveReplica r) {
      int from = slotOn(range, r.from());
      if (from < 0) {
        return op.to(Phase.DONE, now);
      }
      if (range.chain().size() < 2) {
        return op.to(Phase.CANCELLED, now); // the last replica stays
      }
      return op.phase() == Phase.RELEASING && released.test(range.rangeId(), from) ? op.to(Phase.REMOVING, now) : op;
    }
    if (op.move() instanceof Move.HeadMove h) {
      if (range.head().slot() == op.slot()) {
        return op.to(Phase.DONE, now);
      }
      // Reordered by this controller or not yet: the promoted replica must still be in the chain.
      return range.indexOf(op.slot()) < 0 ? op.to(Phase.CANCELLED, now) : op;
    }
    Move.ReplicaMove m = (Move.ReplicaMove) op.move();
    int from = slotOn(range, m.from());
    boolean joined = range.indexOf(op.slot()) >= 0;
    switch (op.phase()) {
      case COPYING:
        if (range.epoch() != op.startEpoch() || from < 0) {
          return op.to(Phase.CANCELLED, now); // copied against another chain: start again from this one
        }
        return op.copied() ? op.to(Phase.JOINING, now) : op;
      case JOINING:
        if (joined) {
          return from < 0 ? op.to(Phase.DONE, now) : op.to(Phase.RELEASING, now);
        }
        return range.epoch() != op.startEpoch() ? op.to(Phase.CANCELLED, now) : op;
      case RELEASING:
        if (!joined) {
          return op.to(Phase.CANCELLED, now); // the new replica left (its node was lost): keep the old one
        }
        if (from < 0) {
          return op.to(Phase.DONE, now);
        }
        return released.test(range.rangeId(), from) ? op.to(Phase.REMOVING, now) : op;
      case REMOVING:
        return from < 0 ? op.to(Phase.DONE, now) : op;
      default:
        return op;
    }
  }

  private static int slotOn(RangeConfig range, String node) {
    for (Replica r : range.chain()) {
      if (r.node().equals(node)) {
        return r.slot();
      }
    }
    return -1;
  }
}
