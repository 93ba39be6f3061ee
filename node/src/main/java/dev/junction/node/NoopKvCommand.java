package dev.junction.node;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.AdminGrpc;
import dev.junction.client.proto.ClusterStatusRequest;
import dev.junction.client.proto.ClusterStatusResponse;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.GetResponse;
import dev.junction.client.proto.KvGrpc;
import dev.junction.client.proto.NodeEndpoint;
import dev.junction.client.proto.PutRequest;
import dev.junction.client.proto.PutResponse;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableRequest;
import dev.junction.client.proto.RoutingTableResponse;
import dev.junction.client.proto.CompareAndSetRequest;
import dev.junction.client.proto.CompareAndSetResponse;
import dev.junction.client.proto.DeleteRequest;
import dev.junction.client.proto.DeleteResponse;
import dev.junction.node.grpc.KvCalls;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code junction noop-kv}: a benchmark reference, not a store. It serves {@code junction.v1.Kv} with the
 * node's own gRPC set-up ({@link GrpcServer}) but does nothing: every {@code Get} answers the same value
 * from memory, every {@code Put} a new sequence number. Its {@code Admin.RoutingTable} names one range
 * whose chain is every no-op server given in {@code --endpoints}, so the Java client routes to them as it
 * routes to a cluster; with {@code --native-port} it serves the same {@code Get} and {@code Put} on a native
 * endpoint too ({@link NativeServer} on the same threads), named in that table like a node's, so the Java
 * client calls it as it calls a node. {@code bench/ceiling.sh} compares Junction with it: the framework's
 * ceiling.
 */
@Command(
    name = "noop-kv",
    mixinStandardHelpOptions = true,
    description = {
      "Benchmark reference: a junction.v1.Kv server that answers from memory and stores nothing.",
      "Serves on 127.0.0.1:--port until SIGTERM; prints 'listening: HOST:PORT' when it serves."
    })
final class NoopKvCommand implements Callable<Integer> {
  @Option(names = "--port", required = true, description = "gRPC port on 127.0.0.1.")
  int port;

  @Option(names = "--endpoints", required = true, split = ",",
      description = "Every no-op server of the set (HOST:PORT,...), this one included: the routing table's chain.")
  List<String> endpoints;

  @Option(names = "--value-file", required = true, description = "The bytes every Get answers with.")
  Path valueFile;

  @Option(names = "--threads", defaultValue = "0", description = "gRPC transport threads (0: as a node: one per two cores).")
  int threads;

  @Option(names = "--native-ports", split = ",",
      description = "The native ports of every no-op server of the set, in --endpoints' order (this one's is bound"
          + " here); none: no native endpoints, the client calls over gRPC.")
  List<Integer> nativePorts = List.of();

  @Override
  public Integer call() throws Exception {
    ByteString value = ByteString.copyFrom(Files.readAllBytes(valueFile));
    RoutingTableResponse.Builder table = RoutingTableResponse.newBuilder().setVersion(1);
    RangeInfo.Builder range = RangeInfo.newBuilder().setRangeId(1).setEpoch(1);
    if (!nativePorts.isEmpty() && nativePorts.size() != endpoints.size()) {
      System.err.println("noop-kv: --native-ports needs one port per --endpoints entry");
      return 2;
    }
    int self = -1;
    for (int i = 0; i < endpoints.size(); i++) {
      String node = "noop-" + i;
      String endpoint = endpoints.get(i).trim();
      range.addChain(ReplicaInfo.newBuilder().setSlot(i).setNode(node));
      NodeEndpoint.Builder e = NodeEndpoint.newBuilder().setNode(node).setGrpcEndpoint(endpoint);
      if (!nativePorts.isEmpty()) {
        e.setNativeEndpoint(endpoint.substring(0, endpoint.lastIndexOf(':') + 1) + nativePorts.get(i));
      }
      if (endpoint.endsWith(":" + port)) {
        self = i;
      }
      table.addEndpoints(e);
    }
    RoutingTableResponse routing = table.addRanges(range).build();
    AtomicLong seq = new AtomicLong();
    KvGrpc.KvImplBase kv = new KvGrpc.KvImplBase() {
      @Override
      public void get(GetRequest request, StreamObserver<GetResponse> out) {
        out.onNext(GetResponse.newBuilder().setFound(true).setValue(value).setSeq(1).setTableVersion(1).build());
        out.onCompleted();
      }

      @Override
      public void put(PutRequest request, StreamObserver<PutResponse> out) {
        out.onNext(PutResponse.newBuilder().setSeq(seq.incrementAndGet()).setTableVersion(1).build());
        out.onCompleted();
      }
    };
    AdminGrpc.AdminImplBase admin = new AdminGrpc.AdminImplBase() {
      @Override
      public void routingTable(RoutingTableRequest request, StreamObserver<RoutingTableResponse> out) {
        out.onNext(routing);
        out.onCompleted();
      }

      @Override
      public void clusterStatus(ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> out) {
        out.onNext(ClusterStatusResponse.newBuilder().setTableVersion(1).build());
        out.onCompleted();
      }
    };
    int transport = threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    GrpcServer server = GrpcServer.start(new InetSocketAddress("127.0.0.1", port), transport, kv, admin);
    NativeServer nativeServer = null;
    if (!nativePorts.isEmpty()) {
      if (self < 0) {
        server.close();
        System.err.println("noop-kv: --endpoints does not name this server's port " + port);
        return 2;
      }
      nativeServer = NativeServer.start(new InetSocketAddress("127.0.0.1", nativePorts.get(self)), server,
          nativeCalls(kv), (method, status, nanos) -> { });
    }
    NativeServer natives = nativeServer;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (natives != null) {
        natives.close();
      }
      server.close();
      stopped.countDown();
    }, "noop-kv-shutdown"));
    System.out.println("listening: 127.0.0.1:" + server.port()
        + (natives == null ? "" : " native 127.0.0.1:" + natives.port()));
    System.out.flush();
    stopped.await();
    return 0;
  }

  /** The no-op's get and put for the native endpoint; delete and compare-and-set are not served. */
  private static KvCalls nativeCalls(KvGrpc.KvImplBase kv) {
    return new KvCalls() {
      @Override
      public void get(GetRequest req, StreamObserver<GetResponse> out, Duration timeout) {
        kv.get(req, out);
      }

      @Override
      public void put(PutRequest req, StreamObserver<PutResponse> out, Duration timeout) {
        kv.put(req, out);
      }

      @Override
      public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out, Duration timeout) {
        kv.delete(req, out);
      }

      @Override
      public void compareAndSet(CompareAndSetRequest req, StreamObserver<CompareAndSetResponse> out, Duration timeout) {
        kv.compareAndSet(req, out);
      }

      @Override
      public Duration timeout(long clientMillis) {
        return Duration.ofSeconds(5);
      }
    };
  }
}
