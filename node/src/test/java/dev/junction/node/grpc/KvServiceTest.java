package dev.junction.node.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.client.proto.CompareAndSetRequest;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.KvGrpc;
import dev.junction.client.proto.PutRequest;
import dev.junction.client.proto.RequestHeader;
import dev.junction.client.proto.ScanRequest;
import dev.junction.sharding.cluster.Router;
import dev.junction.sharding.cluster.RouterUnavailableException;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The status codes the API promises. Bad requests are refused before they reach the cluster (so no
 * router is needed here); answers of the cluster map to codes in {@link Replies}.
 */
class KvServiceTest {
  private Server server;
  private ManagedChannel channel;
  private KvGrpc.KvBlockingStub kv;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(new KvService(null, Duration.ofSeconds(1), 1024, () -> 1))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
    kv = KvGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  private static final RequestHeader HEADER =
      RequestHeader.newBuilder().setClientId("c").setRequestId(1).build();

  private static Status.Code code(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run).getStatus().getCode();
  }

  @Test
  void badKeysValuesIntervalsAndHeadersAreInvalidArguments() {
    ByteString key = ByteString.copyFromUtf8("k");
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> kv.put(PutRequest.newBuilder().setHeader(HEADER).setKey(ByteString.EMPTY).build())));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> kv.put(PutRequest.newBuilder().setHeader(HEADER).setKey(ByteString.copyFrom(new byte[4097])).build())));
    StatusRuntimeException big = assertThrows(StatusRuntimeException.class,
        () -> kv.put(PutRequest.newBuilder().setHeader(HEADER).setKey(key).setValue(ByteString.copyFrom(new byte[1025])).build()));
    assertTrue(big.getStatus().getDescription().contains("up to 1024 bytes"), big.getStatus().toString());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> kv.put(PutRequest.newBuilder().setKey(key).build())),
        "a write without header");
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> kv.compareAndSet(CompareAndSetRequest.newBuilder().setHeader(HEADER).setKey(key).build())),
        "a compare-and-set without expectation");
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> kv.compareAndSet(CompareAndSetRequest.newBuilder().setHeader(HEADER).setKey(key)
            .setExpectedSeq(-1).build())),
        "an expected sequence number that is not positive");
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> kv.compareAndSet(CompareAndSetRequest.newBuilder().setHeader(HEADER).setKey(key)
            .setExpectedValue(ByteString.copyFrom(new byte[1025])).build())),
        "an expected value larger than any value");
    assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> kv.get(GetRequest.newBuilder().build())));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> kv.scan(ScanRequest.newBuilder().setStart(ByteString.copyFromUtf8("b"))
            .setEnd(ByteString.copyFromUtf8("a")).build()).hasNext()));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(() -> kv.scan(ScanRequest.newBuilder().setLimit(10_001).build()).hasNext()));
  }

  @Test
  void clusterAnswersMapToTheDocumentedCodes() {
    assertEquals(Status.Code.UNAVAILABLE,
        Replies.failure(new Router.Unavailable("WRONG_EPOCH at epoch 3")).getStatus().getCode());
    assertEquals(Status.Code.RESOURCE_EXHAUSTED,
        Replies.failure(new Router.Failed(ReplicaActor.Failure.STORE_FULL, "full")).getStatus().getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT,
        Replies.failure(new Router.Failed(ReplicaActor.Failure.INVALID, "bad")).getStatus().getCode());
    assertEquals(Status.Code.UNKNOWN,
        Replies.failure(new Router.Failed(ReplicaActor.Failure.OUTCOME_UNKNOWN, "lost")).getStatus().getCode());
    assertEquals(Status.Code.UNAVAILABLE,
        Replies.failure(new RouterUnavailableException("no table"), true).getStatus().getCode());
    StatusRuntimeException lostWrite = Replies.failure(new TimeoutException(), true);
    assertEquals(Status.Code.UNKNOWN, lostWrite.getStatus().getCode(), "outcome unknown, not a failure");
    assertTrue(lostWrite.getStatus().getDescription().startsWith("outcome unknown"));
    assertEquals(Status.Code.UNAVAILABLE, Replies.failure(new TimeoutException(), false).getStatus().getCode(),
        "a read that got no answer is safe to retry");
  }
}
