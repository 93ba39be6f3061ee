/**
 * Chain replication per sub-range (van Renesse &amp; Schneider). This module will own the protocol
 * as a pure state machine in {@code dev.junction.chain.core} (inputs to outputs, no Pekko, threads or
 * sockets), the replica actor that hosts it and writes through {@code dev.junction.store}'s group commit, the
 * replication log, and the {@code BulkTransport} SPI with its TCP and DiSNI (RDMA) implementations. Built by
 * the vertical-slice issue.
 */
package dev.junction.chain;
