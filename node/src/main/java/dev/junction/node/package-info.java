/**
 * The storage-node program. This module will own configuration (HOCON plus {@code JUNCTION_*}
 * environment variables), the gRPC server (Kv and Admin), Pekko Management (health, cluster bootstrap),
 * metrics, graceful shutdown and {@code junction local}. Built by the vertical-slice issue.
 */
package dev.junction.node;
