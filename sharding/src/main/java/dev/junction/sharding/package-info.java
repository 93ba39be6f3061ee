/**
 * Routing and control. This module will own the immutable, versioned {@code RoutingTable}
 * (key to range to chain: TurboKV's match-action table), the {@code Router} that every gateway runs, the
 * Cluster Sharding entity type with external shard allocation, the controller singleton, load statistics and
 * the pure placement planner (multi-capacity bin packing). Built by the vertical-slice issue.
 */
package dev.junction.sharding;
