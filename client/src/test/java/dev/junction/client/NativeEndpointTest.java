package dev.junction.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.GetResponse;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's side of the native protocol against a scripted server on loopback: answers and statuses
 * come back as gRPC's would, a connection is reused only after a clean answer, and a call ends at its
 * deadline, at an interrupt, or at once when nothing listens.
 */
class NativeEndpointTest {
  private static final GetRequest GET = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("k")).build();

  /** What the scripted server does with each request after the hello. */
  @FunctionalInterface
  private interface Script {
    void answer(int call, byte method, byte[] body, DataOutputStream out) throws IOException;
  }

  private final List<AutoCloseable> open = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  @Test
  void anAnswerIsParsedAndItsConnectionReused() {
    NativeEndpoint e = endpoint(serve(true, (call, method, body, out) -> {
      assertEquals(NativeProtocol.GET, method);
      assertEquals(GET, GetRequest.parseFrom(body));
      ok(out, call, GetResponse.newBuilder().setFound(true).setValue(ByteString.copyFromUtf8("v")).setSeq(7)
          .setTableVersion(3).build().toByteArray());
    }));
    for (int i = 0; i < 3; i++) {
      GetResponse r = e.call(NativeProtocol.GET, GET, GetResponse.parser(), deadline(5_000));
      assertEquals("v", r.getValue().toStringUtf8());
      assertEquals(7, r.getSeq());
    }
    assertEquals(1, e.idleConnections());
    assertEquals(1, connections.get(), "one connection for three calls, one after the other");
  }

  @Test
  void aNodesStatusComesBackAsThatStatusWithItsNotAppliedFlag() {
    NativeEndpoint e = endpoint(serve(true, (call, method, body, out) -> {
      byte[] text = "WRONG_EPOCH; retry".getBytes(StandardCharsets.UTF_8);
      out.writeInt(NativeProtocol.RESPONSE_HEADER_BYTES + text.length);
      out.writeInt(call);
      out.writeByte(Status.Code.UNAVAILABLE.value());
      out.writeByte(NativeProtocol.NOT_APPLIED);
      out.write(text);
      out.flush();
    }));
    StatusRuntimeException s = assertThrows(StatusRuntimeException.class,
        () -> e.call(NativeProtocol.GET, GET, GetResponse.parser(), deadline(5_000)));
    assertEquals(Status.Code.UNAVAILABLE, s.getStatus().getCode());
    assertEquals("WRONG_EPOCH; retry", s.getStatus().getDescription());
    assertTrue(Failover.notApplied(s));
    assertEquals(1, e.idleConnections(), "a status is an answer: the connection stays in step");
  }

  @Test
  void noAnswerByTheDeadlineIsDeadlineExceededAndTheConnectionIsDropped() {
    NativeEndpoint e = endpoint(serve(true, (call, method, body, out) -> { }));
    long start = System.nanoTime();
    StatusRuntimeException s = assertThrows(StatusRuntimeException.class,
        () -> e.call(NativeProtocol.GET, GET, GetResponse.parser(), deadline(300)));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, s.getStatus().getCode());
    assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(250), "waited for the deadline");
    assertEquals(0, e.idleConnections(), "a late answer must not be read as the next call's");
  }

  @Test
  void anInterruptEndsABlockedCallAsCancelled() throws Exception {
    NativeEndpoint e = endpoint(serve(true, (call, method, body, out) -> { }));
    CompletableFuture<Thread> caller = new CompletableFuture<>();
    CompletableFuture<Object> outcome = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      caller.complete(Thread.currentThread());
      try {
        outcome.complete(e.call(NativeProtocol.GET, GET, GetResponse.parser(), deadline(30_000)));
      } catch (StatusRuntimeException s) {
        outcome.complete(List.of(s.getStatus().getCode(), Thread.currentThread().isInterrupted()));
      }
    });
    t.start();
    caller.get(5, TimeUnit.SECONDS);
    // Interrupt until the call ends (an interrupt that lands before the read starts is seen by it too).
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!outcome.isDone() && System.nanoTime() < until) {
      t.interrupt();
      Thread.sleep(20); // polling interval of a deadline wait
    }
    assertEquals(List.of(Status.Code.CANCELLED, true), outcome.get(5, TimeUnit.SECONDS),
        "cancelled well before its 30-s deadline, interrupt flag kept");
  }

  @Test
  void nothingListeningOrAWrongHelloIsUnavailableAndCertainlyNotApplied() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    NativeEndpoint refused = new NativeEndpoint("127.0.0.1:" + port);
    StatusRuntimeException s = assertThrows(StatusRuntimeException.class,
        () -> refused.call(NativeProtocol.GET, GET, GetResponse.parser(), deadline(5_000)));
    assertEquals(Status.Code.UNAVAILABLE, s.getStatus().getCode());
    assertTrue(Failover.notApplied(s), s.toString());

    NativeEndpoint wrong = endpoint(serve(false, (call, method, body, out) -> { }));
    s = assertThrows(StatusRuntimeException.class,
        () -> wrong.call(NativeProtocol.GET, GET, GetResponse.parser(), deadline(5_000)));
    assertEquals(Status.Code.UNAVAILABLE, s.getStatus().getCode());
    assertTrue(s.getStatus().getDescription().contains("not a Junction native endpoint"), s.toString());
    assertTrue(Failover.notApplied(s));
    assertFalse(wrong.idleConnections() > 0);
  }

  private NativeEndpoint endpoint(int port) {
    NativeEndpoint e = new NativeEndpoint("127.0.0.1:" + port);
    open.add(e);
    return e;
  }

  private static Deadline deadline(long millis) {
    return Deadline.after(millis, TimeUnit.MILLISECONDS);
  }

  private static void ok(DataOutputStream out, int call, byte[] message) throws IOException {
    out.writeInt(NativeProtocol.RESPONSE_HEADER_BYTES + message.length);
    out.writeInt(call);
    out.writeByte(0);
    out.writeByte(0);
    out.write(message);
    out.flush();
  }

  /** A loopback server: it answers the hello (or, with {@code hello} false, an HTTP/2-like greeting), then runs the script. */
  private int serve(boolean hello, Script script) {
    try {
      ServerSocket server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
      open.add(server);
      Thread acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            Socket s = server.accept();
            open.add(s);
            connections.incrementAndGet();
            Thread conn = new Thread(() -> run(s, hello, script), "native-script");
            conn.setDaemon(true);
            conn.start();
          } catch (IOException closed) {
            return;
          }
        }
      }, "native-accept");
      acceptor.setDaemon(true);
      acceptor.start();
      return server.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static void run(Socket s, boolean hello, Script script) {
    try (s) {
      DataInputStream in = new DataInputStream(s.getInputStream());
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      in.readInt();
      in.readInt();
      in.readInt();
      if (!hello) {
        out.write("\0\0\022\004\0\0\0\0\0PRI * HTTP/2.0".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return;
      }
      out.writeInt(NativeProtocol.HELLO_BYTES);
      out.writeInt(NativeProtocol.MAGIC);
      out.writeInt(NativeProtocol.VERSION);
      out.flush();
      while (true) {
        int length = in.readInt();
        int call = in.readInt();
        byte method = in.readByte();
        in.readInt();
        byte[] body = new byte[length - NativeProtocol.REQUEST_HEADER_BYTES];
        in.readFully(body);
        script.answer(call, method, body, out);
      }
    } catch (IOException closed) {
      // the client went away
    }
  }
}
