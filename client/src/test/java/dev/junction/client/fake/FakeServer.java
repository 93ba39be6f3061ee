package dev.junction.client.fake;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A running fake endpoint: a gRPC server with a {@link FakeKv} and a {@link FakeAdmin}. Close it to
 * stop it (it may also be stopped early with {@link #stop()}, to play a dead endpoint).
 */
public final class FakeServer implements AutoCloseable {
  private final Server server;
  private final FakeKv kv;
  private final FakeAdmin admin;
  private final int port;

  private FakeServer(Server server, FakeKv kv, FakeAdmin admin) {
    this.server = server;
    this.kv = kv;
    this.admin = admin;
    this.port = server.getPort();
  }

  /** Starts a fake endpoint on {@code builder}, serving {@code store}. */
  public static FakeServer start(ServerBuilder<?> builder, FakeStore store) {
    FakeKv kv = new FakeKv(store);
    FakeAdmin admin = new FakeAdmin();
    try {
      return new FakeServer(builder.addService(kv).addService(admin).build().start(), kv, admin);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a fake endpoint on plaintext TCP, on 127.0.0.1 and a free port. */
  public static FakeServer onLoopback(FakeStore store) {
    return start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), store);
  }

  /** {@code 127.0.0.1:port} of a TCP endpoint (also after {@link #stop()}). */
  public String endpoint() {
    return "127.0.0.1:" + port;
  }

  /** The Kv service of this endpoint. */
  public FakeKv kv() {
    return kv;
  }

  /** The Admin service of this endpoint. */
  public FakeAdmin admin() {
    return admin;
  }

  /** Stops the server at once and waits until it has stopped. */
  public void stop() {
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }
}
