package dev.junction.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Settings of the node program: the only place that reads {@code junction.node.*}. */
public record NodeSettings(
    String host,
    int grpcPort,
    int managementPort,
    int clusterPort,
    Path dataDir,
    List<String> seedNodes,
    Duration requestTimeout,
    int grpcThreads) {

  public NodeSettings {
    if (grpcThreads < 0 || grpcThreads > 256) {
      throw new IllegalArgumentException("junction.node.grpc-threads must be 0 (automatic) to 256, not " + grpcThreads);
    }
    checkPort("grpc-port", grpcPort);
    checkPort("management-port", managementPort);
    checkPort("cluster-port", clusterPort);
    seedNodes = List.copyOf(seedNodes);
    for (String s : seedNodes) {
      if (!s.matches("[^:\\s]+:\\d+")) {
        throw new IllegalArgumentException("junction.node.seed-nodes: '" + s + "' is not host:port");
      }
    }
  }

  private static void checkPort(String key, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("junction.node." + key + " must be a port (0-65535), not " + port);
    }
  }

  public static NodeSettings fromConfig(Config config) {
    Config c = config.getConfig("junction.node");
    String seeds = c.getString("seed-nodes").trim();
    return new NodeSettings(
        c.getString("host"),
        c.getInt("grpc-port"),
        c.getInt("management-port"),
        c.getInt("cluster-port"),
        Path.of(c.getString("data-dir")),
        seeds.isEmpty() ? List.of() : Arrays.stream(seeds.split(",")).map(String::trim).toList(),
        c.getDuration("request-timeout"),
        c.getInt("grpc-threads"));
  }

  /** The gRPC transport threads: as configured, or one per two cores (at least one). */
  public int grpcTransportThreads() {
    return grpcThreads > 0 ? grpcThreads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  /**
   * The configuration the cluster layer runs with: the store under {@code data-dir/store}, Distributed
   * Data under {@code data-dir/ddata}, Artery on {@code host:cluster-port}, the seed nodes, and this node's
   * gRPC endpoint as a cluster role ({@code grpc=host:port}) so every node can tell clients where the
   * others are; Pekko Management's host and port ({@code boundManagementPort}).
   */
  public Config clusterConfig(int boundGrpcPort, int boundManagementPort) {
    List<String> seeds = seedNodes.stream().map(s -> "pekko://junction@" + s).toList();
    return ConfigFactory.parseMap(
        Map.of(
            "junction.store.directory", dataDir.resolve("store").toString(),
            "pekko.cluster.distributed-data.durable.lmdb.dir", dataDir.resolve("ddata").toString(),
            "pekko.remote.artery.canonical.hostname", host,
            "pekko.remote.artery.canonical.port", clusterPort,
            "pekko.cluster.seed-nodes", seeds,
            "pekko.cluster.roles", List.of("grpc=" + host + ":" + boundGrpcPort),
            "pekko.management.http.hostname", host,
            "pekko.management.http.port", boundManagementPort));
  }
}
