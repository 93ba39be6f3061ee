/**
 * The {@code junction} program. Today: {@code store-demo}, a tour of the storage engine. The vertical-slice
 * issue adds the storage node itself: configuration (HOCON plus {@code JUNCTION_*} environment variables),
 * the gRPC server (Kv and Admin), Pekko Management (health, cluster bootstrap), metrics, graceful shutdown
 * and {@code junction local}.
 */
package dev.junction.node;
