package dev.junction.node.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.core.WriteResult;
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
import dev.junction.sharding.cluster.Router;
import dev.junction.store.Keys;
import dev.junction.store.Versioned;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * {@code junction.v1.Kv} on a node: checks the request, hands it to the node's router (the switch), and
 * turns the answer into the API's response or status, with the node's routing-table version. Never blocks:
 * it runs on gRPC's transport threads (the server uses a direct executor), a get that a replica of this
 * node answers is answered before the handler returns, and every other answer arrives on the replica's
 * or the inbox's thread.
 */
public final class KvService extends KvGrpc.KvImplBase implements KvCalls {
  /** Most bytes in one scan response message (gRPC's default limit is 4 MiB). */
  static final int PAGE_BYTES = 2 << 20;
  static final int DEFAULT_SCAN_LIMIT = 1000;
  static final int MAX_SCAN_LIMIT = 10_000;

  private final Router router;
  private final Duration requestTimeout;
  private final int maxValueBytes;
  private final LongSupplier tableVersion;

  public KvService(Router router, Duration requestTimeout, int maxValueBytes, LongSupplier tableVersion) {
    this.router = router;
    this.requestTimeout = requestTimeout;
    this.maxValueBytes = maxValueBytes;
    this.tableVersion = tableVersion;
  }

  @Override
  public void put(PutRequest req, StreamObserver<PutResponse> out) {
    put(req, out, timeout());
  }

  /** {@link #put(PutRequest, StreamObserver)} with the node's time for it (the native protocol's entry). */
  @Override
  public void put(PutRequest req, StreamObserver<PutResponse> out, Duration timeout) {
    if (!checkHeader(req.getHeader(), out) || !checkKey(req.getKey(), out) || !checkValue(req.getValue(), out)) {
      return;
    }
    WriteOp op = new WriteOp.Put(req.getKey().toByteArray(), req.getValue().toByteArray());
    answer(() -> router.write(id(req.getHeader()), op, timeout), out, true,
        done -> PutResponse.newBuilder().setSeq(seq(done)).setTableVersion(tableVersion.getAsLong()).build());
  }

  @Override
  public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out) {
    delete(req, out, timeout());
  }

  /** {@link #delete(DeleteRequest, StreamObserver)} with the node's time for it. */
  @Override
  public void delete(DeleteRequest req, StreamObserver<DeleteResponse> out, Duration timeout) {
    if (!checkHeader(req.getHeader(), out) || !checkKey(req.getKey(), out)) {
      return;
    }
    WriteOp op = new WriteOp.Delete(req.getKey().toByteArray());
    answer(() -> router.write(id(req.getHeader()), op, timeout), out, true,
        done -> DeleteResponse.newBuilder().setSeq(seq(done)).setTableVersion(tableVersion.getAsLong()).build());
  }

  @Override
  public void compareAndSet(CompareAndSetRequest req, StreamObserver<CompareAndSetResponse> out) {
    compareAndSet(req, out, timeout());
  }

  /** {@link #compareAndSet(CompareAndSetRequest, StreamObserver)} with the node's time for it. */
  @Override
  public void compareAndSet(CompareAndSetRequest req, StreamObserver<CompareAndSetResponse> out, Duration timeout) {
    if (!checkHeader(req.getHeader(), out)
        || !checkKey(req.getKey(), out)
        || !checkValue(req.getNewValue(), out)) {
      return;
    }
    WriteOp op;
    byte[] key = req.getKey().toByteArray();
    byte[] newValue = req.getNewValue().toByteArray();
    switch (req.getExpectedCase()) {
      case EXPECTED_VALUE -> {
        if (!checkValue(req.getExpectedValue(), out)) {
          return; // no stored value can be larger, and the write must fit a cluster message
        }
        op = new WriteOp.Cas(key, req.getExpectedValue().toByteArray(), newValue);
      }
      case EXPECT_ABSENT -> {
        if (!req.getExpectAbsent()) {
          out.onError(Replies.invalid("expect_absent must be true when set"));
          return;
        }
        op = new WriteOp.Cas(key, null, newValue);
      }
      case EXPECTED_SEQ -> {
        if (req.getExpectedSeq() <= 0) {
          out.onError(Replies.invalid("expected_seq must be positive"));
          return;
        }
        op = new WriteOp.CasSeq(key, req.getExpectedSeq(), newValue);
      }
      default -> {
        out.onError(Replies.invalid("compare-and-set needs expected_value, expect_absent or expected_seq"));
        return;
      }
    }
    answer(() -> router.write(id(req.getHeader()), op, timeout), out, true,
        done -> {
          WriteResult.CasDone cas = (WriteResult.CasDone) ((Router.Written) done).result();
          CompareAndSetResponse.Builder b = CompareAndSetResponse.newBuilder().setApplied(cas.applied())
              .setTableVersion(tableVersion.getAsLong());
          if (cas.current() != null) {
            b.setFound(true).setCurrentValue(UnsafeByteOperations.unsafeWrap(cas.current().value())).setSeq(cas.current().seq());
          }
          return b.build();
        });
  }

  @Override
  public void get(GetRequest req, StreamObserver<GetResponse> out) {
    get(req, out, timeout());
  }

  /** {@link #get(GetRequest, StreamObserver)} with the node's time for it. */
  @Override
  public void get(GetRequest req, StreamObserver<GetResponse> out, Duration timeout) {
    if (!checkKey(req.getKey(), out)) {
      return;
    }
    answer(() -> router.get(req.getKey().toByteArray(), req.getLatest(), timeout), out, false,
        reply -> {
          Versioned v = ((Router.Found) reply).value();
          GetResponse.Builder b = GetResponse.newBuilder().setTableVersion(tableVersion.getAsLong());
          return v == null
              ? b.setFound(false).build()
              : b.setFound(true).setValue(UnsafeByteOperations.unsafeWrap(v.value())).setSeq(v.seq()).build();
        });
  }

  @Override
  public void scan(ScanRequest req, StreamObserver<ScanResponse> out) {
    byte[] from = req.getStart().toByteArray();
    byte[] to = req.getEnd().toByteArray();
    if (from.length > Keys.MAX_BOUND_BYTES || to.length > Keys.MAX_BOUND_BYTES) {
      out.onError(Replies.invalid("scan bounds may be at most " + Keys.MAX_BOUND_BYTES + " bytes"));
      return;
    }
    if (to.length > 0 && Keys.compare(from, to) > 0) {
      out.onError(Replies.invalid("scan start " + Keys.printable(from) + " is after its end " + Keys.printable(to)));
      return;
    }
    int limit = req.getLimit() == 0 ? DEFAULT_SCAN_LIMIT : req.getLimit();
    if (limit < 0 || limit > MAX_SCAN_LIMIT) {
      out.onError(Replies.invalid("scan limit must be 1 to " + MAX_SCAN_LIMIT + " (0 for " + DEFAULT_SCAN_LIMIT + ")"));
      return;
    }
    router.scanStreaming(from, to, limit, timeout(), entries -> sendPages(entries, out, tableVersion.getAsLong()))
        .whenComplete((reply, error) -> {
          if (error != null) {
            out.onError(Replies.failure(error, false));
          } else if (reply instanceof Router.Scanned) {
            out.onCompleted();
          } else {
            out.onError(Replies.failure(reply));
          }
        });
  }

  /** Sends entries as pages of at most {@link #PAGE_BYTES} (at least one entry each). */
  private static void sendPages(
      List<dev.junction.store.KeyValue> entries, StreamObserver<ScanResponse> out, long version) {
    ScanResponse.Builder page = ScanResponse.newBuilder().setTableVersion(version);
    long bytes = 0;
    for (dev.junction.store.KeyValue kv : entries) {
      long size = kv.key().length + kv.value().length + 32L;
      if (page.getEntriesCount() > 0 && bytes + size > PAGE_BYTES) {
        out.onNext(page.build());
        page = ScanResponse.newBuilder().setTableVersion(version);
        bytes = 0;
      }
      page.addEntries(KeyValue.newBuilder()
          .setKey(UnsafeByteOperations.unsafeWrap(kv.key()))
          .setValue(UnsafeByteOperations.unsafeWrap(kv.value()))
          .setSeq(kv.seq()));
      bytes += size;
    }
    if (page.getEntriesCount() > 0) {
      out.onNext(page.build());
    }
  }

  private static long seq(Router.Result done) {
    return ((WriteResult.Written) ((Router.Written) done).result()).seq();
  }

  private static RequestId id(RequestHeader h) {
    return new RequestId(h.getClientId(), h.getRequestId());
  }

  /** Writes must say who sends them, so that a retry is applied at most once. */
  private static <T> boolean checkHeader(RequestHeader h, StreamObserver<T> out) {
    if (h.getClientId().isEmpty() || h.getRequestId() <= 0) {
      out.onError(Replies.invalid("a write needs a header with a client_id and a request_id > 0"));
      return false;
    }
    return true;
  }

  /** The client's deadline, if shorter than the node's request timeout. */
  private Duration timeout() {
    Deadline d = Context.current().getDeadline();
    if (d == null) {
      return requestTimeout;
    }
    return timeout(Math.max(1, d.timeRemaining(TimeUnit.MILLISECONDS)));
  }

  /** The time a request may take here when its client has {@code clientMillis} left (0: unknown). */
  @Override
  public Duration timeout(long clientMillis) {
    if (clientMillis <= 0 || clientMillis >= requestTimeout.toMillis()) {
      return requestTimeout;
    }
    return Duration.ofMillis(clientMillis);
  }

  private static <T> boolean checkKey(ByteString key, StreamObserver<T> out) {
    if (key.size() < Keys.MIN_KEY_BYTES || key.size() > Keys.MAX_KEY_BYTES) {
      out.onError(Replies.invalid("key is " + key.size() + " bytes; keys must be 1 to " + Keys.MAX_KEY_BYTES + " bytes"));
      return false;
    }
    return true;
  }

  private <T> boolean checkValue(ByteString value, StreamObserver<T> out) {
    if (value.size() > maxValueBytes) {
      out.onError(Replies.invalid("value is " + value.size() + " bytes; values may be up to " + maxValueBytes + " bytes"));
      return false;
    }
    return true;
  }

  private static <T> void answer(
      Supplier<CompletionStage<Router.Result>> call, StreamObserver<T> out, boolean write,
      Function<Router.Result, T> onSuccess) {
    CompletionStage<Router.Result> reply;
    try {
      reply = call.get();
    } catch (RuntimeException e) {
      out.onError(Replies.failure(e, write)); // e.g. a store closing under a read: a status, not a crash
      return;
    }
    reply.whenComplete((r, error) -> {
      if (error != null) {
        out.onError(Replies.failure(error, write));
      } else if (r instanceof Router.Written || r instanceof Router.Found) {
        out.onNext(onSuccess.apply(r));
        out.onCompleted();
      } else {
        out.onError(Replies.failure(r));
      }
    });
  }
}
