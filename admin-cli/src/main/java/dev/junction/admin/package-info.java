/**
 * {@code junctionctl}: a picocli program over the Admin gRPC service, one class per subcommand,
 * grouped by noun (status, ranges, load, rebalance, split, move, drain). Built by the vertical-slice issue.
 */
package dev.junction.admin;
