/**
 * The client side. This module will own the {@code junction.v1} protobuf files (services {@code Kv}
 * and {@code Admin}), the generated gRPC stubs and the Java client library {@code JunctionClient}
 * (blocking and async, several endpoints with failover). Built by the vertical-slice issue.
 */
package dev.junction.client;
