package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.junction.client.CasResult;
import dev.junction.client.Entry;
import dev.junction.client.InvalidArgumentException;
import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import dev.junction.client.NativeProtocol;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.GetResponse;
import dev.junction.client.proto.RoutingTableResponse;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native endpoint of a real one-node cluster: the routing table names it, the Java client's blocking
 * calls go there (and only there when it is on), answers and errors mean what they mean over gRPC, and a
 * connection that does not start with the protocol's hello is closed.
 */
class NativeProtocolTest {
  @TempDir static Path data;
  private static JunctionNode node;
  private static String endpoint;

  @BeforeAll
  static void start() throws Exception {
    node = JunctionNode.start(ClassArchiveTrainingCommand.oneNodeCluster(data));
    endpoint = "127.0.0.1:" + node.grpcPort();
    try (JunctionClient client = JunctionClient.builder().endpoints(endpoint).nativeProtocol(false).build()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (true) {
        try {
          client.get(b("warm"));
          break;
        } catch (JunctionException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(50); // polling interval of a deadline wait: the first table and chain
        }
      }
    }
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void theTableNamesTheNativeEndpointAndTheBlockingCallsUseIt() {
    try (JunctionClient client = JunctionClient.builder().endpoints(endpoint).build()) {
      RoutingTableResponse table = client.routingTable();
      assertEquals("127.0.0.1:" + node.nativePort(), table.getEndpoints(0).getNativeEndpoint());
      long before = node.nativeCallsServed();
      long seq = client.put(b("n-1"), b("one"));
      Optional<Entry> got = client.get(b("n-1"));
      assertTrue(got.isPresent());
      assertArrayEquals(b("one"), got.get().value());
      assertEquals(seq, got.get().seq());
      assertEquals(seq, client.getLatest(b("n-1")).orElseThrow().seq());
      CasResult lost = client.compareAndSet(b("n-1"), seq + 100, b("two"));
      assertFalse(lost.applied());
      CasResult won = client.compareAndSet(b("n-1"), seq, b("two"));
      assertTrue(won.applied());
      assertTrue(client.compareAndSet(b("n-1"), b("two"), b("three")).applied());
      assertArrayEquals(b("three"), client.get(b("n-1")).orElseThrow().value());
      client.delete(b("n-1"));
      assertTrue(client.get(b("n-1")).isEmpty());
      assertEquals(9, node.nativeCallsServed() - before, "every blocking call went to the native endpoint");
      // The node's checks answer over the native protocol as over gRPC.
      InvalidArgumentException big = assertThrows(InvalidArgumentException.class,
          () -> client.put(b("n-2"), new byte[2 << 20]));
      assertTrue(big.getMessage().contains("values may be up to"), big.getMessage());
      assertEquals(10, node.nativeCallsServed() - before);
      // Still asynchronous calls and scans go over gRPC.
      client.putAsync(b("n-3"), b("x")).join();
      assertEquals(1, client.scan(b("n-3"), b("n-4"), 10).size());
      assertEquals(10, node.nativeCallsServed() - before);
    }
  }

  @Test
  void withTheNativeProtocolOffEveryCallGoesOverGrpc() {
    try (JunctionClient client = JunctionClient.builder().endpoints(endpoint).nativeProtocol(false).build()) {
      long before = node.nativeCallsServed();
      client.put(b("g-1"), b("one"));
      assertArrayEquals(b("one"), client.get(b("g-1")).orElseThrow().value());
      assertEquals(0, node.nativeCallsServed() - before);
    }
  }

  @Test
  void aConnectionWithoutTheHelloIsClosedAndAnUnknownMethodIsRefused() throws Exception {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", node.nativePort()), 5_000);
      s.setSoTimeout(10_000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      out.writeInt(8);
      out.writeInt(0x12345678);
      out.writeInt(NativeProtocol.VERSION);
      out.flush();
      assertEquals(-1, s.getInputStream().read(), "closed by the node");
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", node.nativePort()), 5_000);
      s.setSoTimeout(10_000);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      DataInputStream in = new DataInputStream(s.getInputStream());
      out.writeInt(NativeProtocol.HELLO_BYTES);
      out.writeInt(NativeProtocol.MAGIC);
      out.writeInt(NativeProtocol.VERSION);
      out.flush();
      assertEquals(NativeProtocol.HELLO_BYTES, in.readInt());
      assertEquals(NativeProtocol.MAGIC, in.readInt());
      assertEquals(NativeProtocol.VERSION, in.readInt());
      // Method 99: UNIMPLEMENTED (12), with the call's number.
      out.writeInt(NativeProtocol.REQUEST_HEADER_BYTES);
      out.writeInt(7);
      out.writeByte(99);
      out.writeInt(1_000);
      out.flush();
      int length = in.readInt();
      assertEquals(7, in.readInt());
      assertEquals(12, in.readUnsignedByte());
      in.readUnsignedByte();
      byte[] text = new byte[length - NativeProtocol.RESPONSE_HEADER_BYTES];
      in.readFully(text);
      assertTrue(new String(text, StandardCharsets.UTF_8).contains("unknown native method 99"));
      // A get by hand: the same protobuf messages as gRPC.
      byte[] body = GetRequest.newBuilder().setKey(ByteString.copyFromUtf8("absent")).build().toByteArray();
      out.writeInt(NativeProtocol.REQUEST_HEADER_BYTES + body.length);
      out.writeInt(8);
      out.writeByte(NativeProtocol.GET);
      out.writeInt(0);
      out.write(body);
      out.flush();
      length = in.readInt();
      assertEquals(8, in.readInt());
      assertEquals(0, in.readUnsignedByte(), "OK");
      in.readUnsignedByte();
      byte[] answer = new byte[length - NativeProtocol.RESPONSE_HEADER_BYTES];
      in.readFully(answer);
      GetResponse r = GetResponse.parseFrom(answer);
      assertFalse(r.getFound());
      assertTrue(r.getTableVersion() > 0);
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
