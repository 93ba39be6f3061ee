package dev.junction.client.fake;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.junction.client.proto.CompareAndSetRequest;
import dev.junction.client.proto.CompareAndSetResponse;
import dev.junction.client.proto.DeleteRequest;
import dev.junction.client.proto.DeleteResponse;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.GetResponse;
import dev.junction.client.proto.KeyValue;
import dev.junction.client.proto.PutRequest;
import dev.junction.client.proto.PutResponse;
import dev.junction.client.proto.RequestHeader;
import dev.junction.client.proto.ScanRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The data of a fake Junction cluster, in memory, with the semantics of the {@code junction.v1}
 * API: keys in unsigned byte order, one sequence number per write, compare-and-set, scans with
 * limits, the documented bounds ({@code INVALID_ARGUMENT}), a "full" switch ({@code
 * RESOURCE_EXHAUSTED} on put and compare-and-set), and at-most-once writes by request header. Several
 * {@link FakeKv} endpoints can share one store, like the gateways of one cluster. Thread-safe.
 */
public final class FakeStore {
  /** Largest key, in bytes. */
  public static final int MAX_KEY = 4096;
  /** Largest value, in bytes. */
  public static final int MAX_VALUE = 1 << 20;
  /** Scan limit used for limit 0. */
  public static final int DEFAULT_SCAN_LIMIT = 1000;
  /** Largest scan limit. */
  public static final int MAX_SCAN_LIMIT = 10_000;

  private record Versioned(ByteString value, long seq) {}

  private final NavigableMap<ByteString, Versioned> data =
      new TreeMap<>(ByteString.unsignedLexicographicalComparator());
  private final Map<RequestHeader, Message> answered = new HashMap<>();
  private long seq;
  private boolean full;
  private int rivalWrites;

  /** Makes puts and compare-and-sets fail with {@code RESOURCE_EXHAUSTED} (or work again). */
  public synchronized void setFull(boolean full) {
    this.full = full;
  }

  /**
   * Makes each of the next {@code n} compare-and-sets of a present key lose to a rival: just before it is
   * checked, the key is written again (its value unchanged, a new sequence number), as another writer would.
   */
  public synchronized void rivalWrites(int n) {
    rivalWrites = n;
  }

  /** The number of writes applied so far (retries answered from memory not counted). */
  public synchronized long appliedWrites() {
    return seq;
  }

  /** Put. */
  public synchronized PutResponse put(PutRequest request) {
    checkHeader(request.getHeader());
    checkKey(request.getKey());
    checkValue(request.getValue(), "value");
    return once(request.getHeader(), () -> {
      checkNotFull();
      long s = write(request.getKey(), request.getValue());
      return PutResponse.newBuilder().setSeq(s).build();
    });
  }

  /** Get. */
  public synchronized GetResponse get(GetRequest request) {
    checkKey(request.getKey());
    Versioned v = data.get(request.getKey());
    return v == null
        ? GetResponse.getDefaultInstance()
        : GetResponse.newBuilder().setFound(true).setValue(v.value()).setSeq(v.seq()).build();
  }

  /** Delete (of a present or absent key). */
  public synchronized DeleteResponse delete(DeleteRequest request) {
    checkHeader(request.getHeader());
    checkKey(request.getKey());
    return once(request.getHeader(), () -> {
      data.remove(request.getKey());
      return DeleteResponse.newBuilder().setSeq(++seq).build();
    });
  }

  /** Compare-and-set. */
  public synchronized CompareAndSetResponse compareAndSet(CompareAndSetRequest request) {
    checkHeader(request.getHeader());
    checkKey(request.getKey());
    checkValue(request.getNewValue(), "new value");
    checkExpectation(request);
    return once(request.getHeader(), () -> {
      Versioned current = data.get(request.getKey());
      if (rivalWrites > 0 && current != null) {
        rivalWrites--;
        write(request.getKey(), current.value());
        current = data.get(request.getKey());
      }
      if (!holds(request, current)) {
        return current(false, current);
      }
      checkNotFull();
      write(request.getKey(), request.getNewValue());
      return current(true, data.get(request.getKey()));
    });
  }

  /** The entries a scan returns, all of them (the endpoint cuts them into pages). */
  public synchronized List<KeyValue> scan(ScanRequest request) {
    checkInterval(request.getStart(), request.getEnd());
    int limit = checkLimit(request.getLimit());
    List<KeyValue> out = new ArrayList<>();
    for (Map.Entry<ByteString, Versioned> e : interval(request.getStart(), request.getEnd()).entrySet()) {
      if (out.size() == limit) {
        break;
      }
      Versioned v = e.getValue();
      out.add(KeyValue.newBuilder().setKey(e.getKey()).setValue(v.value()).setSeq(v.seq()).build());
    }
    return out;
  }

  private NavigableMap<ByteString, Versioned> interval(ByteString start, ByteString end) {
    NavigableMap<ByteString, Versioned> from = data.tailMap(start, true);
    return end.isEmpty() ? from : from.headMap(end, false);
  }

  private long write(ByteString key, ByteString value) {
    data.put(key, new Versioned(value, ++seq));
    return seq;
  }

  @SuppressWarnings("unchecked")
  private <T extends Message> T once(RequestHeader header, Supplier<T> write) {
    Message earlier = answered.get(header);
    if (earlier != null) {
      return (T) earlier;
    }
    T answer = write.get();
    answered.put(header, answer);
    return answer;
  }

  private static boolean holds(CompareAndSetRequest request, Versioned current) {
    if (request.hasExpectAbsent()) {
      return current == null;
    }
    if (request.getExpectedCase() == CompareAndSetRequest.ExpectedCase.EXPECTED_SEQ) {
      return current != null && current.seq() == request.getExpectedSeq();
    }
    return current != null && current.value().equals(request.getExpectedValue());
  }

  private static CompareAndSetResponse current(boolean applied, Versioned current) {
    CompareAndSetResponse.Builder r = CompareAndSetResponse.newBuilder().setApplied(applied);
    if (current != null) {
      r.setFound(true).setCurrentValue(current.value()).setSeq(current.seq());
    }
    return r.build();
  }

  private void checkNotFull() {
    if (full) {
      throw Status.RESOURCE_EXHAUSTED.withDescription("store full").asRuntimeException();
    }
  }

  private static void checkHeader(RequestHeader header) {
    if (header.getClientId().isEmpty() || header.getRequestId() == 0) {
      throw invalid("a write needs a header with a client id and a request id > 0");
    }
  }

  private static void checkKey(ByteString key) {
    if (key.isEmpty() || key.size() > MAX_KEY) {
      throw invalid("key must be 1 to " + MAX_KEY + " bytes, got " + key.size());
    }
  }

  private static void checkValue(ByteString value, String what) {
    if (value.size() > MAX_VALUE) {
      throw invalid(what + " must be at most " + MAX_VALUE + " bytes, got " + value.size());
    }
  }

  private static void checkExpectation(CompareAndSetRequest request) {
    switch (request.getExpectedCase()) {
      case EXPECTED_VALUE -> checkValue(request.getExpectedValue(), "expected value");
      case EXPECT_ABSENT -> {
        if (!request.getExpectAbsent()) {
          throw invalid("expect_absent must be true when set");
        }
      }
      case EXPECTED_SEQ -> {
        if (request.getExpectedSeq() <= 0) {
          throw invalid("expected_seq must be positive");
        }
      }
      default -> throw invalid("compare-and-set needs expected_value, expect_absent or expected_seq");
    }
  }

  private static void checkInterval(ByteString start, ByteString end) {
    if (start.size() > MAX_KEY + 1 || end.size() > MAX_KEY + 1) {
      throw invalid("scan bounds must be at most " + (MAX_KEY + 1) + " bytes");
    }
    if (!end.isEmpty() && ByteString.unsignedLexicographicalComparator().compare(start, end) > 0) {
      throw invalid("scan start sorts after end");
    }
  }

  private static int checkLimit(int limit) {
    if (limit == 0) {
      return DEFAULT_SCAN_LIMIT;
    }
    if (Integer.compareUnsigned(limit, MAX_SCAN_LIMIT) > 0) {
      throw invalid(
          "scan limit must be at most " + MAX_SCAN_LIMIT + ", got " + Integer.toUnsignedString(limit));
    }
    return limit;
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
