package dev.junction.client.fake;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.CompareAndSetRequest;
import dev.junction.client.proto.CompareAndSetResponse;
import dev.junction.client.proto.DeleteRequest;
import dev.junction.client.proto.DeleteResponse;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.GetResponse;
import dev.junction.client.proto.KeyValue;
import dev.junction.client.proto.KvGrpc;
import dev.junction.client.proto.PutRequest;
import dev.junction.client.proto.PutResponse;
import dev.junction.client.proto.RequestHeader;
import dev.junction.client.proto.ScanRequest;
import dev.junction.client.proto.ScanResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * One fake gateway of a fake cluster: serves the {@code Kv} service from a {@link FakeStore}, with
 * switches to misbehave (answer every call with a status, apply writes but lose the answer, break
 * scans after some pages), a key that is never answered ({@link #BLACK_HOLE_KEY}), and records of
 * what it received.
 */
public final class FakeKv extends KvGrpc.KvImplBase {
  /** Calls on this key (get, put, delete, compare-and-set) are never answered. */
  public static final ByteString BLACK_HOLE_KEY = ByteString.copyFromUtf8("black-hole");

  private final FakeStore store;
  private final List<RequestHeader> headers = new CopyOnWriteArrayList<>();
  private final List<Integer> scanPageSizes = new CopyOnWriteArrayList<>();
  private final AtomicInteger calls = new AtomicInteger();
  private final AtomicInteger latestGets = new AtomicInteger();
  private final Semaphore cancellations = new Semaphore(0);
  private final Semaphore swallowed = new Semaphore(0);
  private volatile Status failure;
  private volatile io.grpc.Metadata failureTrailers;
  private volatile boolean loseWriteAnswers;
  private volatile int scanPageSize = 2;
  private volatile int failScanAfterPages = -1;
  private volatile long tableVersion;

  /** A gateway in front of {@code store}. */
  public FakeKv(FakeStore store) {
    this.store = store;
  }

  /** Answers every call with {@code status} (null: serve normally again). */
  public void failWith(Status status) {
    failWith(status, null);
  }

  /** Answers every call with {@code status} and {@code trailers} (null status: serve normally again). */
  public void failWith(Status status, io.grpc.Metadata trailers) {
    this.failureTrailers = trailers;
    this.failure = status;
  }

  /** Applies writes but answers them {@code UNAVAILABLE}, as if the answer were lost. */
  public void loseWriteAnswers(boolean lose) {
    this.loseWriteAnswers = lose;
  }

  /** Entries per scan page (default 2). */
  public void scanPageSize(int entries) {
    this.scanPageSize = entries;
  }

  /** Ends scans with {@code UNAVAILABLE} after this many pages (negative: never). */
  public void failScanAfterPages(int pages) {
    this.failScanAfterPages = pages;
  }

  /** The routing-table version every answer carries from now on (default 0). */
  public void tableVersion(long version) {
    this.tableVersion = version;
  }

  /** Calls received, of any kind. */
  public int calls() {
    return calls.get();
  }

  /** Gets that asked for the latest value (GetRequest.latest). */
  public int latestGets() {
    return latestGets.get();
  }

  /** The headers of the writes received, in order. */
  public List<RequestHeader> headers() {
    return List.copyOf(headers);
  }

  /** The number of entries of each scan page sent, in order. */
  public List<Integer> scanPageSizes() {
    return List.copyOf(scanPageSizes);
  }

  /** Waits until {@code count} calls on {@link #BLACK_HOLE_KEY} arrived; false on timeout. */
  public boolean awaitSwallowed(int count, Duration timeout) throws InterruptedException {
    return swallowed.tryAcquire(count, timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Waits until {@code count} unanswered calls were cancelled by their clients; false on timeout. */
  public boolean awaitCancellations(int count, Duration timeout) throws InterruptedException {
    return cancellations.tryAcquire(count, timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> out) {
    serve(request.getKey(), request.getHeader(), out,
        () -> store.put(request).toBuilder().setTableVersion(tableVersion).build());
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> out) {
    if (request.getLatest()) {
      latestGets.incrementAndGet();
    }
    serve(request.getKey(), null, out,
        () -> store.get(request).toBuilder().setTableVersion(tableVersion).build());
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> out) {
    serve(request.getKey(), request.getHeader(), out,
        () -> store.delete(request).toBuilder().setTableVersion(tableVersion).build());
  }

  @Override
  public void compareAndSet(CompareAndSetRequest request, StreamObserver<CompareAndSetResponse> out) {
    serve(request.getKey(), request.getHeader(), out,
        () -> store.compareAndSet(request).toBuilder().setTableVersion(tableVersion).build());
  }

  @Override
  public void scan(ScanRequest request, StreamObserver<ScanResponse> out) {
    calls.incrementAndGet();
    if (refused(out)) {
      return;
    }
    List<KeyValue> entries;
    try {
      entries = store.scan(request);
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    sendPages(entries, out);
  }

  private void sendPages(List<KeyValue> entries, StreamObserver<ScanResponse> out) {
    int size = scanPageSize;
    int failAfter = failScanAfterPages;
    int pages = 0;
    for (int from = 0; from < entries.size(); from += size) {
      if (pages++ == failAfter) {
        out.onError(Status.UNAVAILABLE.withDescription("scan broken by the test").asRuntimeException());
        return;
      }
      List<KeyValue> page = entries.subList(from, Math.min(entries.size(), from + size));
      scanPageSizes.add(page.size());
      out.onNext(ScanResponse.newBuilder().addAllEntries(page).build());
    }
    out.onCompleted();
  }

  private <T> void serve(ByteString key, RequestHeader header, StreamObserver<T> out, Supplier<T> operation) {
    calls.incrementAndGet();
    if (header != null) {
      headers.add(header);
    }
    if (key.equals(BLACK_HOLE_KEY)) {
      ((ServerCallStreamObserver<T>) out).setOnCancelHandler(cancellations::release);
      swallowed.release();
      return;
    }
    if (refused(out)) {
      return;
    }
    answer(header != null, out, operation);
  }

  private <T> void answer(boolean write, StreamObserver<T> out, Supplier<T> operation) {
    try {
      T answer = operation.get();
      if (write && loseWriteAnswers) {
        out.onError(Status.UNAVAILABLE.withDescription("answer lost by the test").asRuntimeException());
        return;
      }
      out.onNext(answer);
      out.onCompleted();
    } catch (StatusRuntimeException e) {
      out.onError(e);
    }
  }

  private boolean refused(StreamObserver<?> out) {
    Status status = failure;
    if (status != null) {
      out.onError(status.asRuntimeException(failureTrailers));
    }
    return status != null;
  }
}
