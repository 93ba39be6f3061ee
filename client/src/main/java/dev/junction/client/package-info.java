/**
 * The Java client of Junction and its wire API.
 *
 * <p>{@link dev.junction.client.JunctionClient} is the entry point: blocking and asynchronous
 * put, get, delete, compare-and-set and scan, plus the cluster's admin view, over one or several
 * endpoints with failover. Failures are {@link dev.junction.client.JunctionException}s carrying the
 * gRPC status code. The {@code junction.v1} protobuf API (services {@code Kv} and {@code Admin}, in
 * {@code src/main/proto}) is generated into {@code dev.junction.client.proto}; see {@code
 * client/README.md} for the API and its status codes.
 */
package dev.junction.client;
