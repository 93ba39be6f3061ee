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
import io.grpc.stub.StreamObserver;
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
 * routes to a cluster. {@code bench/ceiling.sh} compares Junction with it: the framework's ceiling.
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

  @Override
  public Integer call() throws Exception {
    ByteString value = ByteString.copyFrom(Files.readAllBytes(valueFile));
    RoutingTableResponse.Builder table = RoutingTableResponse.newBuilder().setVersion(1);
    RangeInfo.Builder range = RangeInfo.newBuilder().setRangeId(1).setEpoch(1);
    for (int i = 0; i < endpoints.size(); i++) {
      String node = "noop-" + i;
      range.addChain(ReplicaInfo.newBuilder().setSlot(i).setNode(node));
      table.addEndpoints(NodeEndpoint.newBuilder().setNode(node).setGrpcEndpoint(endpoints.get(i).trim()));
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
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "noop-kv-shutdown"));
    System.out.println("listening: 127.0.0.1:" + server.port());
    System.out.flush();
    stopped.await();
    return 0;
  }
}
