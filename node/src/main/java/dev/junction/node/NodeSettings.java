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
    int nativePort,
    String bindHost,
    int managementPort,
    int clusterPort,
    Path dataDir,
    List<String> seedNodes,
    Duration requestTimeout,
    int grpcThreads,
    Bootstrap bootstrap) {

  /**
   * How the node finds the others when no seed nodes are given: Pekko Management's cluster bootstrap.
   *
   * @param discovery {@code ""} (none: the seed nodes say), {@code config} (the contact points are
   *     {@code contactPoints}) or {@code kubernetes-api} (the pods of {@code serviceName}, by label)
   * @param serviceName the name the contact points are looked up by
   * @param contactPoints for {@code config}: the nodes' management endpoints, host:port
   * @param requiredContactPoints how many contact points must be found (and agree) before the one with
   *     the lowest address forms a new cluster: the initial number of nodes
   * @param serviceAccount for {@code kubernetes-api}: where the pod's service account is mounted ({@code
   *     token}, {@code ca.crt}, {@code namespace})
   */
  public record Bootstrap(String discovery, String serviceName, List<String> contactPoints, int requiredContactPoints,
      Path serviceAccount) {
    public static final Bootstrap NONE =
        new Bootstrap("", "junction", List.of(), 1, KubernetesZone.SERVICE_ACCOUNT);

    public Bootstrap {
      if (!List.of("", "config", "kubernetes-api").contains(discovery)) {
        throw new IllegalArgumentException(
            "junction.node.discovery must be empty (seed nodes), config or kubernetes-api, not '" + discovery + "'");
      }
      contactPoints = List.copyOf(contactPoints);
      for (String p : contactPoints) {
        if (!p.matches("[^:\\s]+:\\d+")) {
          throw new IllegalArgumentException("junction.node.contact-points: '" + p + "' is not host:port");
        }
      }
      if (discovery.equals("config") && contactPoints.isEmpty()) {
        throw new IllegalArgumentException("junction.node.discovery = config needs junction.node.contact-points");
      }
      if (requiredContactPoints < 1) {
        throw new IllegalArgumentException(
            "junction.node.required-contact-points must be at least 1, not " + requiredContactPoints);
      }
    }

    public boolean enabled() {
      return !discovery.isEmpty();
    }
  }

  public NodeSettings {
    if (bindHost == null || bindHost.isBlank()) {
      bindHost = host;
    }
    if (bootstrap.discovery().equals("kubernetes-api") && !isAddress(bindHost)) {
      // Bootstrap forms the first cluster at the contact point with the lowest address, if it is this node:
      // it compares the pods' IPs with its own management endpoint's host, so a name never matches and no
      // cluster forms.
      throw new IllegalArgumentException("junction.node.discovery = kubernetes-api finds contact points by pod IP:"
          + " set junction.node.bind-host (JUNCTION_BIND_HOST) to the pod's IP (status.podIP), not '"
          + bindHost + "'");
    }
    if (grpcThreads < 0 || grpcThreads > 256) {
      throw new IllegalArgumentException("junction.node.grpc-threads must be 0 (automatic) to 256, not " + grpcThreads);
    }
    checkPort("grpc-port", grpcPort);
    if (nativePort != -1) {
      checkPort("native-port", nativePort);
    }
    checkPort("management-port", managementPort);
    checkPort("cluster-port", clusterPort);
    seedNodes = List.copyOf(seedNodes);
    if (bootstrap.enabled() && !seedNodes.isEmpty()) {
      throw new IllegalArgumentException("set junction.node.seed-nodes (JUNCTION_SEED_NODES) or junction.node.discovery"
          + " (JUNCTION_DISCOVERY), not both");
    }
    for (String s : seedNodes) {
      if (!s.matches("[^:\\s]+:\\d+")) {
        throw new IllegalArgumentException("junction.node.seed-nodes: '" + s + "' is not host:port");
      }
    }
  }

  /** An IPv4 or IPv6 literal, not a name. */
  private static boolean isAddress(String host) {
    return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || host.contains(":");
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
        c.getInt("native-port"),
        c.getString("bind-host").trim(),
        c.getInt("management-port"),
        c.getInt("cluster-port"),
        Path.of(c.getString("data-dir")),
        seeds.isEmpty() ? List.of() : Arrays.stream(seeds.split(",")).map(String::trim).toList(),
        c.getDuration("request-timeout"),
        c.getInt("grpc-threads"),
        new Bootstrap(c.getString("discovery").trim(), c.getString("service-name").trim(),
            list(c.getString("contact-points")), c.getInt("required-contact-points"), serviceAccount(config)));
  }

  /** Where Kubernetes mounts the pod's service account ({@code junction.node.kubernetes-service-account}). */
  public static Path serviceAccount(Config config) {
    String path = config.getString("junction.node.kubernetes-service-account").trim();
    if (path.isEmpty()) {
      throw new IllegalArgumentException("junction.node.kubernetes-service-account must name a directory");
    }
    return Path.of(path);
  }

  private static List<String> list(String commaSeparated) {
    String s = commaSeparated.trim();
    return s.isEmpty() ? List.of() : Arrays.stream(s.split(",")).map(String::trim).toList();
  }

  /** The gRPC transport threads: as configured, or one per two cores (at least one). */
  public int grpcTransportThreads() {
    return grpcThreads > 0 ? grpcThreads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  /**
   * The configuration the cluster layer runs with: the store under {@code data-dir/store}, Distributed
   * Data under {@code data-dir/ddata}, Artery on {@code host:cluster-port}, the seed nodes, and this node's
   * gRPC endpoint as a cluster role ({@code grpc=host:port}) so every node can tell clients where the
   * others are; Pekko Management's host and port ({@code boundManagementPort}) and, with a discovery
   * method, its cluster bootstrap.
   */
  public Config clusterConfig(int boundGrpcPort, int boundManagementPort) {
    return clusterConfig(boundGrpcPort, -1, boundManagementPort);
  }

  /** The same, announcing the native endpoint too ({@code native=host:port}) unless {@code boundNativePort} is -1. */
  public Config clusterConfig(int boundGrpcPort, int boundNativePort, int boundManagementPort) {
    List<String> seeds = seedNodes.stream().map(s -> "pekko://junction@" + s).toList();
    Map<String, Object> c = new java.util.HashMap<>();
    c.put("junction.store.directory", dataDir.resolve("store").toString());
    c.put("pekko.cluster.distributed-data.durable.lmdb.dir", dataDir.resolve("ddata").toString());
    c.put("pekko.remote.artery.canonical.hostname", host);
    c.put("pekko.remote.artery.canonical.port", clusterPort);
    if (!bindHost.equals(host)) {
      c.put("pekko.remote.artery.bind.hostname", bindHost);
    }
    c.put("pekko.cluster.seed-nodes", seeds);
    c.put("pekko.cluster.roles", boundNativePort == -1 ? List.of("grpc=" + host + ":" + boundGrpcPort)
        : List.of("grpc=" + host + ":" + boundGrpcPort, "native=" + host + ":" + boundNativePort));
    c.put("pekko.management.http.hostname", bindHost);
    c.put("pekko.management.http.port", boundManagementPort);
    if (bootstrap.enabled()) {
      String discovery = "pekko.management.cluster.bootstrap.contact-point-discovery.";
      c.put(discovery + "discovery-method", bootstrap.discovery());
      c.put(discovery + "service-name", bootstrap.serviceName());
      c.put(discovery + "required-contact-point-nr", bootstrap.requiredContactPoints());
      if (bootstrap.discovery().equals("config")) {
        // A fixed list: nothing to wait out but the nodes' start. Several nodes may share a host, so
        // contact points are told apart by port too.
        c.put(discovery + "stable-margin", "2s");
        c.put("pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port", false);
        List<Map<String, Object>> endpoints = new java.util.ArrayList<>();
        for (String p : bootstrap.contactPoints()) {
          int colon = p.lastIndexOf(':');
          endpoints.add(Map.of("host", p.substring(0, colon), "port", Integer.parseInt(p.substring(colon + 1))));
        }
        c.put("pekko.discovery.config.services." + bootstrap.serviceName() + ".endpoints", endpoints);
      } else {
        c.put(discovery + "port-name", "management");
        // Contact points by pod IP: the management endpoint is plain HTTP, so nothing needs the pod's DNS
        // name (Pekko's default), whose A records depend on the cluster's DNS setup.
        c.put("pekko.discovery.kubernetes-api.use-raw-ip", true);
        Path account = bootstrap.serviceAccount();
        c.put("pekko.discovery.kubernetes-api.api-ca-path", account.resolve("ca.crt").toString());
        c.put("pekko.discovery.kubernetes-api.api-token-path", account.resolve("token").toString());
        c.put("pekko.discovery.kubernetes-api.pod-namespace-path", account.resolve("namespace").toString());
      }
    }
    return ConfigFactory.parseMap(c);
  }
}
