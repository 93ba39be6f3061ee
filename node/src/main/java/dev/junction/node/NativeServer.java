package dev.junction.node;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import dev.junction.client.NativeProtocol;
import dev.junction.client.proto.CompareAndSetRequest;
import dev.junction.client.proto.DeleteRequest;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.PutRequest;
import dev.junction.node.grpc.KvCalls;
import io.grpc.Status;
import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInitializer;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.SimpleChannelInboundHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.SocketChannel;
import io.grpc.netty.shaded.io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's native endpoint ({@link NativeProtocol}): the single-key calls of {@code junction.v1.Kv} in
 * length-prefixed frames, handed to the same handlers as gRPC's ({@link KvCalls}: on a node its {@link
 * dev.junction.node.grpc.KvService}, so the same checks, router, answers and status codes), on the gRPC
 * server's transport threads. A handler never blocks; an answer
 * that completes later (a write, a read passed to another node) is written from the thread that
 * completes it, as gRPC does.
 */
final class NativeServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NativeServer.class);

  /** What the node's metrics record of each call: its method, its status and how long it took. */
  @FunctionalInterface
  interface Calls {
    void served(String method, Status.Code status, long nanos);
  }

  private final Channel channel;
  private final java.util.concurrent.atomic.LongAdder served;

  private NativeServer(Channel channel, java.util.concurrent.atomic.LongAdder served) {
    this.channel = channel;
    this.served = served;
  }

  /** Serves {@code kv} on {@code bind}, on the loops of {@code grpc}. */
  static NativeServer start(InetSocketAddress bind, GrpcServer grpc, KvCalls kv, Calls metrics) throws IOException {
    java.util.concurrent.atomic.LongAdder served = new java.util.concurrent.atomic.LongAdder();
    Calls calls = (method, status, nanos) -> {
      served.increment();
      metrics.served(method, status, nanos);
    };
    ServerBootstrap b = new ServerBootstrap()
        .group(grpc.bossLoops(), grpc.workerLoops())
        .channel(GrpcServer.serverChannelType())
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(
                new LengthFieldBasedFrameDecoder(NativeProtocol.MAX_FRAME_BYTES, 0, 4, 0, 4),
                new Connection(kv, calls));
          }
        });
    try {
      return new NativeServer(b.bind(bind).sync().channel(), served);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding " + bind, e);
    } catch (RuntimeException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** Calls answered since the start (with any status). */
  long served() {
    return served.sum();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly();
  }

  /** One client connection: its hello first, then requests. */
  private static final class Connection extends SimpleChannelInboundHandler<ByteBuf> {
    private final KvCalls kv;
    private final Calls calls;
    private boolean greeted;

    Connection(KvCalls kv, Calls calls) {
      this.kv = kv;
      this.calls = calls;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
      if (!greeted) {
        if (frame.readableBytes() != NativeProtocol.HELLO_BYTES || frame.readInt() != NativeProtocol.MAGIC
            || frame.readInt() != NativeProtocol.VERSION) {
          log.debug("native connection from {} closed: its first frame is not a version {} hello",
              ctx.channel().remoteAddress(), NativeProtocol.VERSION);
          ctx.close();
          return;
        }
        greeted = true;
        ByteBuf hello = ctx.alloc().buffer(4 + NativeProtocol.HELLO_BYTES);
        hello.writeInt(NativeProtocol.HELLO_BYTES).writeInt(NativeProtocol.MAGIC).writeInt(NativeProtocol.VERSION);
        ctx.writeAndFlush(hello, ctx.voidPromise());
        return;
      }
      if (frame.readableBytes() < NativeProtocol.REQUEST_HEADER_BYTES) {
        ctx.close();
        return;
      }
      int call = frame.readInt();
      byte method = frame.readByte();
      long timeoutMillis = Integer.toUnsignedLong(frame.readInt());
      long start = System.nanoTime();
      Duration timeout = kv.timeout(timeoutMillis);
      Channel ch = ctx.channel();
      try {
        CodedInputStream in = CodedInputStream.newInstance(frame.nioBuffer());
        switch (method) {
          case NativeProtocol.GET -> kv.get(GetRequest.parseFrom(in), new Reply<>(ch, call, method, start, calls), timeout);
          case NativeProtocol.PUT -> kv.put(PutRequest.parseFrom(in), new Reply<>(ch, call, method, start, calls), timeout);
          case NativeProtocol.DELETE ->
              kv.delete(DeleteRequest.parseFrom(in), new Reply<>(ch, call, method, start, calls), timeout);
          case NativeProtocol.COMPARE_AND_SET ->
              kv.compareAndSet(CompareAndSetRequest.parseFrom(in), new Reply<>(ch, call, method, start, calls), timeout);
          default -> new Reply<>(ch, call, method, start, calls)
              .onError(Status.UNIMPLEMENTED.withDescription("unknown native method " + method).asRuntimeException());
        }
      } catch (InvalidProtocolBufferException e) {
        new Reply<>(ch, call, method, start, calls).onError(
            Status.INVALID_ARGUMENT.withDescription("cannot parse the request: " + e.getMessage()).asRuntimeException());
      } catch (IOException e) {
        new Reply<>(ch, call, method, start, calls).onError(
            Status.INVALID_ARGUMENT.withDescription("cannot read the request: " + e.getMessage()).asRuntimeException());
      }
    }

    /**
     * A client that sends requests without reading the answers (the Java client never does: one call at a
     * time per connection) is not read from while its answers pile up past the channel's high water mark.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A frame too long, a reset connection: the client sees the connection end and fails over.
      log.debug("native connection from {} closed: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }

  /** The answer of one call, written as one frame when the service completes it. */
  private static final class Reply<T extends MessageLite> implements StreamObserver<T> {
    private final Channel channel;
    private final int call;
    private final byte method;
    private final long start;
    private final Calls calls;
    private T value;

    Reply(Channel channel, int call, byte method, long start, Calls calls) {
      this.channel = channel;
      this.call = call;
      this.method = method;
      this.start = start;
      this.calls = calls;
    }

    @Override
    public void onNext(T value) {
      this.value = value;
    }

    @Override
    public void onCompleted() {
      int size = value.getSerializedSize();
      ByteBuf out = channel.alloc().buffer(4 + NativeProtocol.RESPONSE_HEADER_BYTES + size);
      out.writeInt(NativeProtocol.RESPONSE_HEADER_BYTES + size).writeInt(call).writeByte(0).writeByte(0);
      try {
        CodedOutputStream body = CodedOutputStream.newInstance(out.nioBuffer(out.writerIndex(), size));
        value.writeTo(body);
        body.checkNoSpaceLeft();
        out.writerIndex(out.writerIndex() + size);
      } catch (IOException | IllegalStateException e) {
        out.release();
        onError(Status.INTERNAL.withDescription("cannot write the answer: " + e).asRuntimeException());
        return;
      }
      calls.served(NativeProtocol.methodName(method), Status.Code.OK, System.nanoTime() - start);
      channel.writeAndFlush(out, channel.voidPromise());
    }

    @Override
    public void onError(Throwable error) {
      Status status = Status.fromThrowable(error);
      int flags = KvCalls.notApplied(error) ? NativeProtocol.NOT_APPLIED : 0;
      String description = status.getDescription() == null ? "" : status.getDescription();
      byte[] text = description.getBytes(StandardCharsets.UTF_8);
      ByteBuf out = channel.alloc().buffer(4 + NativeProtocol.RESPONSE_HEADER_BYTES + text.length);
      out.writeInt(NativeProtocol.RESPONSE_HEADER_BYTES + text.length).writeInt(call)
          .writeByte(status.getCode().value()).writeByte(flags).writeBytes(text);
      calls.served(NativeProtocol.methodName(method), status.getCode(), System.nanoTime() - start);
      channel.writeAndFlush(out, channel.voidPromise());
    }
  }
}
