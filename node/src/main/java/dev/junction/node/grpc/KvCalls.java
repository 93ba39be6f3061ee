package dev.junction.node.grpc;

import dev.junction.client.proto.CompareAndSetRequest;
import dev.junction.client.proto.CompareAndSetResponse;
import dev.junction.client.proto.DeleteRequest;
import dev.junction.client.proto.DeleteResponse;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.GetResponse;
import dev.junction.client.proto.PutRequest;
import dev.junction.client.proto.PutResponse;
import io.grpc.stub.StreamObserver;
import java.time.Duration;

/**
 * The single-key calls of {@code junction.v1.Kv} as the native endpoint hands them on: each with the time
 * it may take, answered on the observer as gRPC's handlers answer ({@link KvService} on a node; the
 * benchmarks' no-op server too).
 */
public interface KvCalls {
  void get(GetRequest req, StreamObserver<GetResponse> out, Duration timeout);

  void put(PutRequest req, StreamObserver<PutResponse> out, Duration timeout);

  void delete(DeleteRequest req, StreamObserver<DeleteResponse> out, Duration timeout);

  void compareAndSet(CompareAndSetRequest req, StreamObserver<CompareAndSetResponse> out, Duration timeout);

  /** The time a request may take when its client has {@code clientMillis} left (0: unknown). */
  Duration timeout(long clientMillis);

  /** Whether a handler's failure carries the not-applied trailer ({@code junction-not-applied}). */
  static boolean notApplied(Throwable error) {
    io.grpc.Metadata trailers = io.grpc.Status.trailersFromThrowable(error);
    return trailers != null && "true".equals(trailers.get(Replies.NOT_APPLIED));
  }
}
