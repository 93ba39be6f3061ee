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
   * Starts a node from {@code config} (a full configuration: HOCON file, environment, defaults). Its ports
   * are held first, so a busy port fails fast, before the node joins the cluster.
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
    // The cluster announces the endpoints, and the servers need the cluster: hold each port (picking one
    // for port 0) while the cluster starts, and let go of it just before its server binds it. A port
    // only looked up and let go at once could be taken meanwhile, e.g. as the local port of one of the
    // connections the cluster opens.
    HeldPort grpcHeld = HeldPort.hold(settings.bindHost(), settings.grpcPort(), "gRPC");
    HeldPort nativeHeld = settings.nativePort() == -1 ? null
        : HeldPort.hold(settings.bindHost(), settings.nativePort(), "native");
    HeldPort managementHeld = HeldPort.hold(settings.bindHost(), settings.managementPort(), "management");
    try {
      return start(config, full, settings, grpcHeld, nativeHeld, managementHeld);
    } finally {
      grpcHeld.close();
      if (nativeHeld != null) {
        nativeHeld.close();
      }
      managementHeld.close();
    }
  }

  private static JunctionNode start(Config config, Config full, NodeSettings settings, HeldPort grpcHeld,
      HeldPort nativeHeld, HeldPort managementHeld) {
    int port = grpcHeld.port();
    InetSocketAddress bind = new InetSocketAddress(settings.bindHost(), port);
    int nativePort = nativeHeld == null ? -1 : nativeHeld.port();
    InetSocketAddress nativeBind = nativePort == -1 ? null : new InetSocketAddress(settings.bindHost(), nativePort);
    int managementPort = managementHeld.port();
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
      grpcHeld.close();
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
        nativeHeld.close();
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
      managementHeld.close();
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

  /** A port bound (so that nothing else takes it) until its server is about to bind it. */
  static final class HeldPort implements AutoCloseable {
    private final java.net.ServerSocket socket;
    private final int port;

    private HeldPort(java.net.ServerSocket socket) {
      this.socket = socket;
      this.port = socket.getLocalPort();
    }

    /** Holds {@code port} on {@code host}, or a free port for 0; fails if the port is not free. */
    static HeldPort hold(String host, int port, String what) {
      java.net.ServerSocket s = null;
      try {
        s = new java.net.ServerSocket();
        s.setReuseAddress(true); // a port a stopped node left in TIME_WAIT is free to serve on
        s.bind(new InetSocketAddress(host, port), 1);
        return new HeldPort(s);
      } catch (IOException e) {
        if (s != null) {
          try {
            s.close();
          } catch (IOException ignored) {
            // not bound
          }
        }
        throw new UncheckedIOException(what + " port " + host + ":" + port + " is not free: " + e.getMessage(), e);
      }
    }

    int port() {
      return port;
    }

    /** Lets go of the port (again: nothing). */
    @Override
    public void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // let go either way
      }
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
