/**
 * {@code junctionctl}: a picocli program over the Kv and Admin gRPC services of Junction, one class
 * per subcommand. {@link dev.junction.admin.JunctionCtl} is the entry point and holds the global
 * options (endpoints, timeout, text or hex); the subcommands read and write keys ({@code put}, {@code
 * get}, {@code delete}, {@code scan}, {@code cas}) and show the cluster ({@code status}, {@code
 * ranges}). Steering commands (load, rebalance, split, move, drain) come later.
 */
package dev.junction.admin;
