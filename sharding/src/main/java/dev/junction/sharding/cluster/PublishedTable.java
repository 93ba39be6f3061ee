package dev.junction.sharding.cluster;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.serialization.JunctionSerializable;
import dev.junction.sharding.routing.RoutingTable;
import java.util.List;

/**
 * The routing table as the controller publishes it through Distributed Data: plain data (version,
 * ranges and the highest range id handed out), so that what travels and what the durable store keeps does not depend on the routing table's
 * in-memory indexes.
 */
public record PublishedTable(long version, List<RangeConfig> ranges, long lastRangeId) implements JunctionSerializable {
  public PublishedTable {
    ranges = List.copyOf(ranges);
  }

  public static PublishedTable of(RoutingTable table) {
    return new PublishedTable(table.version(), table.ranges(), table.lastRangeId());
  }

  public RoutingTable toTable() {
    return RoutingTable.of(version, ranges, lastRangeId);
  }
}
