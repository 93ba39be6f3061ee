package dev.junction.client;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.KeyValue;
import dev.junction.client.proto.KvGrpc;
import dev.junction.client.proto.ScanRequest;
import dev.junction.client.proto.ScanResponse;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One scan, collecting the pages of the stream until the limit or the end of the interval
 * (package-private). It is a {@link Failover.Attempt}: an attempt that fails part-way leaves the
 * entries received so far, and the next attempt resumes right after the last key received, asking
 * only for the entries still missing. Attempts run one after the other, never concurrently.
 */
final class ScanCall implements Failover.Attempt<List<Entry>> {
  private final ByteString end;
  private final int limit;
  private final List<Entry> entries = new ArrayList<>();
  private ByteString resumeFrom;

  /**
   * @param start first key, inclusive; empty = from the first key
   * @param end end, exclusive; empty = to the last key
   * @param limit maximum number of entries, 1 to 10000 (larger is refused by the server)
   */
  ScanCall(ByteString start, ByteString end, int limit) {
    this.resumeFrom = start;
    this.end = end;
    this.limit = limit;
  }

  @Override
  public CompletableFuture<List<Entry>> run(Channel channel, Deadline deadline) {
    ScanRequest request =
        ScanRequest.newBuilder().setStart(resumeFrom).setEnd(end).setLimit(limit - entries.size()).build();
    PageObserver observer = new PageObserver();
    KvGrpc.newStub(channel).withDeadline(deadline).scan(request, observer);
    return observer.future;
  }

  /** The smallest key after {@code key}: the key followed by a zero byte. */
  private static ByteString successor(ByteString key) {
    return key.concat(ByteString.copyFrom(new byte[] {0}));
  }

  /** Receives the pages of one attempt. */
  private final class PageObserver implements ClientResponseObserver<ScanRequest, ScanResponse> {
    private final CompletableFuture<List<Entry>> future = new CompletableFuture<>();
    private ClientCallStreamObserver<ScanRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<ScanRequest> call) {
      this.call = call;
      GrpcFutures.cancelWith(future, call);
    }

    @Override
    public void onNext(ScanResponse page) {
      for (KeyValue kv : page.getEntriesList()) {
        if (entries.size() >= limit) {
          break;
        }
        entries.add(Entry.of(kv));
        resumeFrom = successor(kv.getKey());
      }
      if (entries.size() >= limit && future.complete(List.copyOf(entries))) {
        call.cancel("scan limit reached", null);
      }
    }

    @Override
    public void onError(Throwable error) {
      future.completeExceptionally(error);
    }

    @Override
    public void onCompleted() {
      future.complete(List.copyOf(entries));
    }
  }
}
