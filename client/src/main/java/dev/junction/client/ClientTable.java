package dev.junction.client;

import dev.junction.client.proto.NodeEndpoint;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The client's copy of the cluster's routing table (package-private): for a key, the gRPC endpoints of
 * the node of its range's head (writes) and of the nodes of its replicas (reads). Immutable; the client
 * swaps in a newer one when a node's answer says its table is newer. Lookups are binary searches over
 * the ranges' starts, compared as unsigned bytes like the server's keys.
 */
final class ClientTable {
  /** One range: where it starts, and its chain's endpoints, head first (null where unknown). */
  private record Range(byte[] start, List<String> chain) {}

  private final long version;
  private final List<Range> ranges;
  private final List<String> endpoints;
  /** Each node's native endpoint by its gRPC endpoint (nodes that serve one). */
  private final Map<String, String> nativeEndpoints;

  private ClientTable(long version, List<Range> ranges, List<String> endpoints, Map<String, String> nativeEndpoints) {
    this.version = version;
    this.ranges = ranges;
    this.endpoints = endpoints;
    this.nativeEndpoints = nativeEndpoints;
  }

  /**
   * The table of a {@code RoutingTable} answer, or null when it cannot route (no ranges, ranges that do
   * not start at the empty key, or a chain node without a known endpoint).
   */
  static ClientTable of(RoutingTableResponse response) {
    Map<String, String> endpoints = new HashMap<>();
    Map<String, String> nativeEndpoints = new HashMap<>();
    for (NodeEndpoint e : response.getEndpointsList()) {
      endpoints.put(e.getNode(), e.getGrpcEndpoint());
      if (!e.getNativeEndpoint().isEmpty()) {
        nativeEndpoints.put(e.getGrpcEndpoint(), e.getNativeEndpoint());
      }
    }
    List<Range> ranges = new ArrayList<>(response.getRangesCount());
    byte[] previous = null;
    for (RangeInfo r : response.getRangesList()) {
      byte[] start = r.getStart().toByteArray();
      if (previous == null ? start.length != 0 : Arrays.compareUnsigned(previous, start) >= 0) {
        return null;
      }
      List<String> chain = new ArrayList<>(r.getChainCount());
      for (ReplicaInfo replica : r.getChainList()) {
        String endpoint = endpoints.get(replica.getNode());
        if (endpoint == null || r.getChainCount() == 0) {
          return null;
        }
        chain.add(endpoint);
      }
      if (chain.isEmpty()) {
        return null;
      }
      ranges.add(new Range(start, List.copyOf(chain)));
      previous = start;
    }
    return ranges.isEmpty() ? null
        : new ClientTable(response.getVersion(), List.copyOf(ranges), List.copyOf(new java.util.TreeSet<>(endpoints.values())),
            Map.copyOf(nativeEndpoints));
  }

  long version() {
    return version;
  }

  /** The endpoints of every replica of every range (the nodes that hold data). */
  java.util.Set<String> replicaEndpoints() {
    java.util.Set<String> out = new java.util.HashSet<>();
    for (Range r : ranges) {
      out.addAll(r.chain());
    }
    return out;
  }

  /** Every node's endpoint, in a stable order. */
  List<String> endpoints() {
    return endpoints;
  }

  /** The native endpoint of the node whose gRPC endpoint is {@code grpcEndpoint}; null if it serves none. */
  String nativeEndpoint(String grpcEndpoint) {
    return nativeEndpoints.get(grpcEndpoint);
  }

  /** The endpoint of the head of {@code key}'s range. */
  String head(byte[] key) {
    return find(key).chain().get(0);
  }

  /** The endpoints of the replicas of {@code key}'s range, head first. */
  List<String> replicas(byte[] key) {
    return find(key).chain();
  }

  private Range find(byte[] key) {
    int lo = 0;
    int hi = ranges.size() - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (Arrays.compareUnsigned(ranges.get(mid).start(), key) <= 0) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return ranges.get(lo);
  }
}
