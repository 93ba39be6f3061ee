package dev.junction.sharding.routing;

import dev.junction.chain.core.RangeConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The controller's copies of ranges to new replicas, as a pure class on a caller-supplied clock
 * (nanoseconds): which ranges have run short of replicas for {@code replaceAfter}, which copy is under way
 * for each (where to, under which slot, since which configuration), and when a ready copy joins its chain.
 * A copy that outlives a change of its range's chain, or whose node is no longer live, is dropped (its
 * slot is never used again) and a new one starts.
 */
public final class ReplacementPlanner {
  /** A copy under way: the new replica {@code slot} on {@code node}, started at the range's {@code epoch}. */
  public record Copy(long rangeId, int slot, String node, long epoch) {}

  /**
   * What the controller does this tick for one copy: ask the new replica to copy from the range's tail
   * (every tick, until it is in the chain), after placing it first when the copy is {@code started} now.
   */
  public record Step(RangeConfig range, Copy copy, boolean started) {}

  private final long replaceAfter;
  private final Map<Long, Long> shortSince = new HashMap<>();
  private final Map<Long, Copy> copies = new HashMap<>();

  public ReplacementPlanner(Duration replaceAfter) {
    this.replaceAfter = replaceAfter.toNanos();
  }

  /**
   * One tick: for every range of {@code table} that has fewer than {@code replicationFactor} replicas
   * (counting only {@code live} nodes) and no {@code lost} one left in its chain, the step of its copy.
   */
  public List<Step> tick(
      RoutingTable table, Collection<String> live, Set<String> lost, int replicationFactor, long now) {
    List<Step> steps = new ArrayList<>();
    for (RangeConfig range : table.ranges()) {
      long id = range.rangeId();
      if (range.chain().stream().anyMatch(r -> lost.contains(r.node()))) {
        continue; // the lost replica leaves the chain first (its tail lease may still run)
      }
      if (range.chain().size() >= replicationFactor) {
        shortSince.remove(id);
        copies.remove(id);
        continue;
      }
      shortSince.putIfAbsent(id, now);
      Copy copy = copies.get(id);
      if (copy != null
          && (!live.contains(copy.node()) || range.indexOf(copy.slot()) >= 0 || range.epoch() != copy.epoch())) {
        copies.remove(id);
        copy = null;
      }
      boolean started = false;
      if (copy == null) {
        if (now - shortSince.get(id) < replaceAfter) {
          continue;
        }
        Optional<Replacement.Candidate> c = Replacement.forRange(table, range, live, replicationFactor);
        if (c.isEmpty()) {
          continue;
        }
        copy = new Copy(id, c.get().slot(), c.get().node(), range.epoch());
        copies.put(id, copy);
        started = true;
      }
      steps.add(new Step(range, copy, started));
    }
    return steps;
  }

  /**
   * The copy {@code slot} on {@code node} of range {@code rangeId} is ready: the table with it added at the
   * tail, or empty when that is not the copy under way for the range's current configuration.
   */
  public Optional<RoutingTable> ready(RoutingTable table, long rangeId, int slot, String node) {
    Copy copy = copies.get(rangeId);
    RangeConfig range = table.range(rangeId).orElse(null);
    if (copy == null || range == null || copy.slot() != slot || !copy.node().equals(node)
        || copy.epoch() != range.epoch() || range.indexOf(slot) >= 0) {
      return Optional.empty();
    }
    return Optional.of(table.withRange(Replacement.withJoined(range, slot, node)));
  }
}
