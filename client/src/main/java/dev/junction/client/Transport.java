package dev.junction.client;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The client's network threads and how it opens a channel: every channel of one client shares one
 * small event-loop group (epoll where available) that the client owns and stops on close.
 *
 * <p>gRPC's default gives a client's channels a JVM-wide group of twice as many threads as cores, so
 * a client calling three nodes wakes three loop threads, each for a share of the calls. One loop thread
 * for all of them finds more work per wake-up: YCSB C with 16 threads against three local nodes ran at
 * about 30,000-35,000 reads/s with one loop against 25,000-28,000 with gRPC's default group (the same
 * cluster, one run after the other, 2 cores).
 */
final class Transport {
  private final EventLoopGroup loops;
  private final boolean epoll;

  Transport(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("event loop threads must be at least 1: " + threads);
    }
    this.epoll = Epoll.isAvailable();
    DefaultThreadFactory factory = new DefaultThreadFactory("junction-client", true);
    this.loops = epoll ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
  }

  /**
   * A plaintext channel to {@code endpoint} on this transport's loops. gRPC's own retries are off: the
   * client fails over itself (with the same request header, so a write applies at most once), and gRPC's
   * retry machinery wraps every call in a buffering stream whether it retries or not: without it, YCSB
   * reads against no-op servers went from about 8,600 to 12,900 per second and the client's CPU per call
   * from about 160 to 105 µs.
   */
  ManagedChannel open(Endpoint endpoint) {
    return NettyChannelBuilder.forAddress(endpoint.host(), endpoint.port())
        .usePlaintext()
        .eventLoopGroup(loops)
        .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
        .disableRetry()
        .build();
  }

  /** Stops the loops, waiting a few seconds for them; call once the channels are shut down. */
  void close() {
    loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  boolean terminated() {
    return loops.isTerminated();
  }
}
