package dev.junction.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.junction.node.grpc.AdminService;
import dev.junction.node.grpc.KvService;
import dev.junction.node.management.ManagementServer;
import dev.junction.node.management.NodeMetrics;
import dev.junction.sharding.cluster.ClusterNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One storage node: the cluster side ({@link ClusterNode}: store, sharding, controller, router) and the
 * gRPC facade ({@code junction.v1.Kv} and {@code Admin}) on {@code host:grpc-port}.
 */
public final class JunctionNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JunctionNode.class);

  private final NodeSettings settings;
  private final ClusterNode cluster;
  private final GrpcServer grpc;
  /** The native endpoint; null when {@code junction.node.native-port} is -1. */
  private final NativeServer nativeServer;
  private final ManagementServer management;
  private final NodeMetrics metrics;
  /** Set by the first {@link #stop}: whether its drain ended. */
  private Boolean stopped;
  private volatile boolean stopping;

  private JunctionNode(NodeSettings settings, ClusterNode cluster, GrpcServer grpc, NativeServer nativeServer,
      ManagementServer management, NodeMetrics metrics) {
    this.settings = settings;
    this.cluster = cluster;
    this.grpc = grpc;
    this.nativeServer = nativeServer;
    this.management = management;
    this.metrics = metrics;
  }

  /**
   * Starts a node from {@code config} (a full configuration: HOCON file, environment, defaults). The gRPC
   * port is bound first, so a busy port fails fast, before the node joins the cluster.
   */
  public static JunctionNode start(Config config) {
    try {
      java.nio.file.Path account =
          NodeSettings.serviceAccount(config.withFallback(ConfigFactory.defaultReference()).resolve());
      config = KubernetesZone.withRack(config, () -> KubernetesZone.inCluster(System.getenv(), account));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the node's zone", e);
    }
    // `config` holds what the user set (file, system properties), without the libraries' reference
    // defaults, so that Junction's Pekko settings can sit between the two (see ClusterNode.start).
    Config full = config.withFallback(ConfigFactory.defaultReference()).resolve();
    NodeSettings settings = NodeSettings.fromConfig(full);
    // The cluster announces the gRPC endpoint, and the gRPC services need the cluster: check that the
    // port is free (or pick one, for port 0) before joining, bind it after.
    int port = settings.grpcPort() == 0 ? freePort(settings.bindHost()) : settings.grpcPort();
    InetSocketAddress bind = new InetSocketAddress(settings.bindHost(), port);
    checkPortFree(bind, "gRPC");
    int nativePort = settings.nativePort() == 0 ? freePort(settings.bindHost()) : settings.nativePort();
    InetSocketAddress nativeBind = nativePort == -1 ? null : new InetSocketAddress(settings.bindHost(), nativePort);
    if (nativeBind != null) {
      checkPortFree(nativeBind, "native");
    }
    int managementPort =
        settings.managementPort() == 0 ? freePort(settings.bindHost()) : settings.managementPort();
    checkPortFree(new InetSocketAddress(settings.bindHost(), managementPort), "management");
    ClusterNode cluster =
        ClusterNode.start(settings.clusterConfig(port, nativePort, managementPort).withFallback(config)
            .withFallback(full.withOnlyPath("junction")));
    NodeMetrics metrics = new NodeMetrics(cluster);
    GrpcServer server;
    KvService kv = new KvService(
        cluster.router(),
        settings.requestTimeout(),
        cluster.store().settings().maxValueBytes(),
        cluster.tables()::version);
    try {
      server = GrpcServer.start(bind, settings.grpcTransportThreads(), java.util.List.of(metrics.grpcInterceptor()),
          kv, new AdminService(cluster.system(), cluster.tables(), cluster.replicas()));
    } catch (IOException e) {
      metrics.close();
      cluster.close();
      throw new UncheckedIOException("cannot serve gRPC on " + bind + ": " + e.getMessage(), e);
    }
    NativeServer nativeServer = null;
    if (nativeBind != null) {
      try {
        nativeServer = NativeServer.start(nativeBind, server, kv, metrics::nativeCall);
      } catch (IOException e) {
        server.close();
        metrics.close();
        cluster.close();
        throw new UncheckedIOException("cannot serve the native protocol on " + nativeBind + ": " + e.getMessage(), e);
      }
    }
    ManagementServer management;
    try {
      management = ManagementServer.start(cluster, metrics, settings.bindHost(), managementPort,
          full.getDuration("junction.node.heat-map.interval"), full.getInt("junction.node.heat-map.samples"));
    } catch (RuntimeException e) {
      if (nativeServer != null) {
        nativeServer.close();
      }
      server.close();
      metrics.close();
      cluster.close();
      throw e;
    }
    if (settings.bootstrap().enabled()) {
      org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap.get(
          org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(cluster.system())).start();
      log.info("cluster bootstrap: looking for {} contact point(s) of '{}' by {} discovery",
          settings.bootstrap().requiredContactPoints(), settings.bootstrap().serviceName(),
          settings.bootstrap().discovery());
    }
    log.info("node {} serves gRPC on {}:{} ({} transport threads, {}){}, management on http://{}:{}, data in {}",
        cluster.address(), settings.host(), server.port(), settings.grpcTransportThreads(), GrpcServer.transport(),
        nativeServer == null ? "" : " and the native protocol on " + settings.host() + ":" + nativeServer.port(),
        settings.bindHost(), management.port(), settings.dataDir());
    return new JunctionNode(settings, cluster, server, nativeServer, management, metrics);
  }

  static int freePort(String host) {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + host, e);
    }
  }

  private static void checkPortFree(InetSocketAddress bind, String what) {
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(bind);
    } catch (IOException e) {
      throw new UncheckedIOException(what + " port " + bind + " is not free: " + e.getMessage(), e);
    }
  }

  public int grpcPort() {
    return grpc.port();
  }

  /** The port of the native endpoint; -1 when the node serves none. */
  public int nativePort() {
    return nativeServer == null ? -1 : nativeServer.port();
  }

  /** Calls the native endpoint has answered (any status); 0 when the node serves none. */
  public long nativeCallsServed() {
    return nativeServer == null ? 0 : nativeServer.served();
  }

  /** The port of the management endpoint ({@code /alive}, {@code /ready}). */
  public int managementPort() {
    return management.port();
  }

  public ClusterNode cluster() {
    return cluster;
  }

  public NodeSettings settings() {
    return settings;
  }

  /**
   * Gives the node's replicas away (at most {@code junction.cluster.leave.drain-timeout}; clients are
   * served meanwhile), stops serving gRPC, leaves the cluster and closes the store. Once: a later call
   * waits for the first and answers as it did.
   *
   * @return true when the drain ended, was refused or was given up at its bound (see {@link
   *     ClusterNode#drainBeforeLeaving}); false when the wait for it broke (the node stopped anyway)
   */
  public boolean stop() {
    stopping = true;
    return stopOnce();
  }

  /** True once {@link #stop} (or {@link #close}) was called. */
  public boolean stopping() {
    return stopping;
  }

  private synchronized boolean stopOnce() {
    if (stopped == null) {
      stopped = cluster.drainBeforeLeaving();
      if (nativeServer != null) {
        nativeServer.close();
      }
      grpc.close();
      management.close();
      metrics.close();
      cluster.close();
      log.info("node stopped{}", stopped ? "" : " (the wait for its drain broke: chains may wait for it to come back)");
    }
    return stopped;
  }

  /** {@link #stop}. */
  @Override
  public void close() {
    stop();
  }

  /** Blocks until the node's ActorSystem terminated (e.g. after it was downed, or close()). */
  public void awaitTermination() throws InterruptedException {
    try {
      cluster.system().getWhenTerminated().toCompletableFuture().get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }
}
