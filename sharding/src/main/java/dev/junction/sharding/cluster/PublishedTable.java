package dev.junction.sharding.cluster;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.serialization.JunctionSerializable;
import dev.junction.sharding.placement.MoveBook;
import dev.junction.sharding.routing.RoutingTable;
import java.util.List;

/**
 * The routing table as the controller publishes it through Distributed Data: plain data (version,
 * ranges and the highest range id handed out), so that what travels and what the durable store keeps
 * does not depend on the routing table's in-memory indexes. With it, majority-replicated like it, the
 * controller's work under way: its operators (moves and splits, each in the phase it had when this
 * version was published) and the nodes it drains, so that a controller that takes over resumes them.
 */
public record PublishedTable(
    long version, List<RangeConfig> ranges, long lastRangeId, List<MoveBook.Operator> operators, List<String> draining)
    implements JunctionSerializable {
  public PublishedTable {
    ranges = List.copyOf(ranges);
    operators = List.copyOf(operators);
    draining = List.copyOf(draining);
  }

  /** A table with no operator under way and no node drained. */
  public static PublishedTable of(RoutingTable table) {
    return of(table, List.of(), List.of());
  }

  public static PublishedTable of(RoutingTable table, List<MoveBook.Operator> operators, List<String> draining) {
    return new PublishedTable(table.version(), table.ranges(), table.lastRangeId(), operators, draining);
  }

  public RoutingTable toTable() {
    return RoutingTable.of(version, ranges, lastRangeId);
  }
}
