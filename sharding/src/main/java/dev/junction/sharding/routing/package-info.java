/**
 * The routing table of the emulated switch (TurboKV's match-action table: key to range to chain) and the
 * pure logic around it: looking a key up, planning a scan over several ranges, keeping the newest table a
 * gateway has seen, and counting load per range and per node.
 *
 * <p>This package is pure: no Pekko, no threads, no I/O, no clock, no randomness. Only {@link
 * dev.junction.sharding.routing.TableHolder} and {@link dev.junction.sharding.routing.LoadCounters} use
 * {@code java.util.concurrent}, so that a gateway's request paths can share them.
 */
package dev.junction.sharding.routing;
