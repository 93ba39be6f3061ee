/**
 * Where replicas and heads should live, as pure decisions: the placement planner (multi-capacity bin
 * packing, after the Kinetic-drive allocation: each replica needs storage and bandwidth, each node offers
 * both), its checkers (replicas on nodes that are down or draining, two replicas of a range in one rack)
 * and its balancer (nodes above the mean by a margin give replicas or heads to the least loaded). It
 * proposes {@link dev.junction.sharding.placement.Move moves}; carrying them out is the controller's.
 *
 * <p>This package is pure, like the chain core: no Pekko, no threads, no I/O, no clock, no randomness.
 * The same inputs give the same plan.
 */
package dev.junction.sharding.placement;
