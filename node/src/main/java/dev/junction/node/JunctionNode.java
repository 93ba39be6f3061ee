package dev.junction.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.junction.node.grpc.AdminService;
import dev.junction.node.grpc.KvService;
import dev.junction.sharding.cluster.ClusterNode;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
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
  private final Server grpc;
  private final EventLoopGroup[] loops;

  private JunctionNode(NodeSettings settings, ClusterNode cluster, Server grpc, EventLoopGroup[] loops) {
    this.settings = settings;
    this.cluster = cluster;
    this.grpc = grpc;
    this.loops = loops;
  }

  /**
   * Starts a node from {@code config} (a full configuration: HOCON file, environment, defaults). The gRPC
   * port is bound first, so a busy port fails fast, before the node joins the cluster.
   */
  public static JunctionNode start(Config config) {
    // Netty's leak detector samples buffer allocations with a stack trace each; gRPC releases its buffers,
    // and the traces cost the request path (seen in profiles). Off unless the operator turns it on.
    if (System.getProperty("io.grpc.netty.shaded.io.netty.leakDetection.level") == null) {
      io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.setLevel(
          io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
    // `config` holds what the user set (file, system properties), without the libraries' reference
    // defaults, so that Junction's Pekko settings can sit between the two (see ClusterNode.start).
    Config full = config.withFallback(ConfigFactory.defaultReference()).resolve();
    NodeSettings settings = NodeSettings.fromConfig(full);
    // The cluster announces the gRPC endpoint, and the gRPC services need the cluster: check that the
    // port is free (or pick one, for port 0) before joining, bind it after.
    int port = settings.grpcPort() == 0 ? freePort(settings.host()) : settings.grpcPort();
    InetSocketAddress bind = new InetSocketAddress(settings.host(), port);
    checkPortFree(bind);
    ClusterNode cluster =
        ClusterNode.start(
            settings.clusterConfig(port).withFallback(config).withFallback(full.withOnlyPath("junction")));
    Server server;
    EventLoopGroup[] loops = eventLoops(settings.grpcTransportThreads());
    try {
      server =
          NettyServerBuilder.forAddress(bind)
              .channelType(Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
              .bossEventLoopGroup(loops[0])
              .workerEventLoopGroup(loops[1])
              // Handlers never block: a get a local replica answers is answered on the transport thread,
              // everything else hands off to an actor. No executor hop per call.
              .directExecutor()
              .maxInboundMessageSize(4 << 20)
              .addService(
                  new KvService(
                      cluster.router(),
                      settings.requestTimeout(),
                      cluster.store().settings().maxValueBytes(),
                      cluster.tables()::version))
              .addService(new AdminService(cluster.system(), cluster.tables(), cluster.replicas()))
              .build()
              .start();
    } catch (IOException e) {
      cluster.close();
      shutdown(loops);
      throw new UncheckedIOException("cannot serve gRPC on " + bind + ": " + e.getMessage(), e);
    }
    log.info("node {} serves gRPC on {}:{} ({} transport threads, {}), data in {}", cluster.address(), settings.host(),
        server.getPort(), settings.grpcTransportThreads(), Epoll.isAvailable() ? "epoll" : "nio", settings.dataDir());
    return new JunctionNode(settings, cluster, server, loops);
  }

  /** One acceptor thread and {@code threads} transport threads, epoll where the platform has it. */
  private static EventLoopGroup[] eventLoops(int threads) {
    java.util.concurrent.ThreadFactory boss = daemon("junction-grpc-accept");
    java.util.concurrent.ThreadFactory work = daemon("junction-grpc");
    if (Epoll.isAvailable()) {
      return new EventLoopGroup[] {new EpollEventLoopGroup(1, boss), new EpollEventLoopGroup(threads, work)};
    }
    return new EventLoopGroup[] {new NioEventLoopGroup(1, boss), new NioEventLoopGroup(threads, work)};
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static void shutdown(EventLoopGroup[] loops) {
    for (EventLoopGroup g : loops) {
      g.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    }
  }

  private static int freePort(String host) {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(host))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + host, e);
    }
  }

  private static void checkPortFree(InetSocketAddress bind) {
    try (java.net.ServerSocket s = new java.net.ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(bind);
    } catch (IOException e) {
      throw new UncheckedIOException("gRPC port " + bind + " is not free: " + e.getMessage(), e);
    }
  }

  public int grpcPort() {
    return grpc.getPort();
  }

  public ClusterNode cluster() {
    return cluster;
  }

  public NodeSettings settings() {
    return settings;
  }

  /** Stops serving gRPC, leaves the cluster and closes the store. */
  @Override
  public void close() {
    grpc.shutdown();
    try {
      if (!grpc.awaitTermination(10, TimeUnit.SECONDS)) {
        grpc.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      grpc.shutdownNow();
    }
    cluster.close();
    shutdown(loops);
    log.info("node stopped");
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
