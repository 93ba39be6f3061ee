package dev.junction.node;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The node's gRPC server set-up, in one place (the node and the benchmarks' no-op server share it): Netty
 * on epoll where the platform has it, one acceptor thread and a few transport threads, and a direct
 * executor: handlers never block (a get a local replica answers is answered on the transport thread,
 * everything else hands off to an actor), so no call is handed to another thread. Netty's leak detector,
 * which records a stack trace for a sample of buffer allocations, is off unless asked for.
 */
public final class GrpcServer implements AutoCloseable {
  private final Server server;
  private final EventLoopGroup[] loops;

  private GrpcServer(Server server, EventLoopGroup[] loops) {
    this.server = server;
    this.loops = loops;
  }

  /** Starts serving {@code services} on {@code bind} with {@code threads} transport threads. */
  public static GrpcServer start(InetSocketAddress bind, int threads, BindableService... services) throws IOException {
    return start(bind, threads, java.util.List.of(), services);
  }

  /** The same, with {@code interceptors} around every call (e.g. the node's request metrics). */
  public static GrpcServer start(InetSocketAddress bind, int threads, java.util.List<io.grpc.ServerInterceptor> interceptors,
      BindableService... services) throws IOException {
    if (System.getProperty("io.grpc.netty.shaded.io.netty.leakDetection.level") == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
    EventLoopGroup[] loops = eventLoops(threads);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(bind)
        .channelType(serverChannelType())
        .bossEventLoopGroup(loops[0])
        .workerEventLoopGroup(loops[1])
        .directExecutor()
        .maxInboundMessageSize(4 << 20);
    for (BindableService s : services) {
      builder.addService(s);
    }
    interceptors.forEach(builder::intercept);
    try {
      return new GrpcServer(builder.build().start(), loops);
    } catch (IOException | RuntimeException e) {
      shutdown(loops);
      throw e;
    }
  }

  public int port() {
    return server.getPort();
  }

  /** The acceptor loop, for another server on this one's threads (the native endpoint). */
  EventLoopGroup bossLoops() {
    return loops[0];
  }

  /** The transport loops, for another server on this one's threads (the native endpoint). */
  EventLoopGroup workerLoops() {
    return loops[1];
  }

  /** The server socket channel class that goes with these loops. */
  static Class<? extends io.grpc.netty.shaded.io.netty.channel.ServerChannel> serverChannelType() {
    return Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** "epoll" or "nio". */
  public static String transport() {
    return Epoll.isAvailable() ? "epoll" : "nio";
  }

  /** Stops serving, waiting up to ten seconds for calls under way. */
  @Override
  public void close() {
    server.shutdown();
    try {
      if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.shutdownNow();
    }
    shutdown(loops);
  }

  private static EventLoopGroup[] eventLoops(int threads) {
    ThreadFactory boss = daemon("junction-grpc-accept");
    ThreadFactory work = daemon("junction-grpc");
    if (Epoll.isAvailable()) {
      return new EventLoopGroup[] {new EpollEventLoopGroup(1, boss), new EpollEventLoopGroup(threads, work)};
    }
    return new EventLoopGroup[] {new NioEventLoopGroup(1, boss), new NioEventLoopGroup(threads, work)};
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
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
}
