package dev.junction.client;

import com.google.protobuf.ByteString;
import dev.junction.client.proto.AdminGrpc;
import dev.junction.client.proto.ReplicaStatusRequest;
import dev.junction.client.proto.ReplicaStatusResponse;
import dev.junction.client.proto.ClusterStatusRequest;
import dev.junction.client.proto.ClusterStatusResponse;
import dev.junction.client.proto.CompareAndSetRequest;
import dev.junction.client.proto.CompareAndSetResponse;
import dev.junction.client.proto.DeleteRequest;
import dev.junction.client.proto.DeleteResponse;
import dev.junction.client.proto.GetRequest;
import dev.junction.client.proto.GetResponse;
import dev.junction.client.proto.KvGrpc;
import dev.junction.client.proto.PutRequest;
import dev.junction.client.proto.PutResponse;
import dev.junction.client.proto.RequestHeader;
import dev.junction.client.proto.RoutingTableRequest;
import dev.junction.client.proto.RoutingTableResponse;
import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The Java client of Junction: single-key reads and writes, compare-and-set, scans and the cluster's
 * admin view, over the {@code junction.v1} gRPC API.
 *
 * <pre>{@code
 * try (JunctionClient client = JunctionClient.builder().endpoints(List.of("127.0.0.1:7070")).build()) {
 *   long seq = client.put(key, value);
 *   Optional<Entry> entry = client.get(key);
 * }
 * }</pre>
 *
 * <p><b>Calls.</b> Every operation has a blocking form and an asynchronous form ({@code ...Async})
 * returning a {@link CompletableFuture}; cancelling the future cancels the call. Every call has the
 * deadline set in the builder (default {@value #DEFAULT_DEADLINE_SECONDS} s), covering all its
 * attempts. Failures are {@link JunctionException}s (unchecked), with subclasses for the status
 * codes users act on; the async forms complete exceptionally with them.
 *
 * <p><b>Failover.</b> With several endpoints, a call that fails with {@code UNAVAILABLE} is retried on
 * the next endpoint, each endpoint at most once per call and within the call's deadline; other
 * failures surface at once. When every endpoint was unavailable the call fails with {@link
 * UnavailableException}. Calls start at the endpoint that last answered.
 *
 * <p><b>At-most-once writes.</b> Each write carries a header with this client's id and a fresh,
 * strictly increasing request id. A retry of the write (on another endpoint) reuses the same header,
 * so the cluster applies the write at most once.
 *
 * <p>The client is thread-safe. Channels are plaintext (no TLS yet).
 */
public final class JunctionClient implements AutoCloseable {
  /** The default deadline of every call, in seconds. */
  public static final int DEFAULT_DEADLINE_SECONDS = 5;

  /** The default deadline of every call. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(DEFAULT_DEADLINE_SECONDS);

  /** The number of entries a scan returns when asked for limit 0 (the server default). */
  public static final int DEFAULT_SCAN_LIMIT = 1000;

  /** The largest scan limit the server accepts. */
  public static final int MAX_SCAN_LIMIT = 10_000;

  private static final long CLOSE_WAIT_SECONDS = 5;

  private final Failover failover;
  private final String clientId;
  private final Duration deadline;
  private final List<ManagedChannel> ownedChannels;
  private final AtomicLong lastRequestId = new AtomicLong();
  private volatile boolean closed;

  private JunctionClient(Builder builder, List<ManagedChannel> ownedChannels, List<Failover.Target> targets) {
    this.clientId = builder.clientId == null ? UUID.randomUUID().toString() : builder.clientId;
    this.deadline = builder.deadline;
    this.ownedChannels = List.copyOf(ownedChannels);
    this.failover = new Failover(targets, deadline);
  }

  /** Starts building a client. */
  public static Builder builder() {
    return new Builder();
  }

  /** This client's id, carried by every write. */
  public String clientId() {
    return clientId;
  }

  /** The deadline of every call. */
  public Duration deadline() {
    return deadline;
  }

  // ---- put ----

  /**
   * Sets {@code key} to {@code value}.
   *
   * @param key 1 B to 4 KiB
   * @param value 0 B to 1 MiB
   * @return the sequence number the write got in its range
   * @throws JunctionException if the write failed
   */
  public long put(byte[] key, byte[] value) {
    return await(putAsync(key, value));
  }

  /** Asynchronous {@link #put}. */
  public CompletableFuture<Long> putAsync(byte[] key, byte[] value) {
    PutRequest request =
        PutRequest.newBuilder()
            .setHeader(nextHeader())
            .setKey(bytes(key, "key"))
            .setValue(bytes(value, "value"))
            .build();
    return write(unary((channel, dl, o) -> kv(channel, dl).put(request, o), PutResponse::getSeq));
  }

  // ---- get ----

  /**
   * Reads {@code key}.
   *
   * @param key 1 B to 4 KiB
   * @return the entry, or empty if the key is absent
   * @throws JunctionException if the read failed
   */
  public Optional<Entry> get(byte[] key) {
    return await(getAsync(key));
  }

  /** Asynchronous {@link #get}. */
  public CompletableFuture<Optional<Entry>> getAsync(byte[] key) {
    ByteString k = bytes(key, "key");
    GetRequest request = GetRequest.newBuilder().setKey(k).build();
    return unary((channel, dl, o) -> kv(channel, dl).get(request, o), (GetResponse r) -> found(k, r));
  }

  private static Optional<Entry> found(ByteString key, GetResponse r) {
    return r.getFound() ? Optional.of(entry(key, r.getValue(), r.getSeq())) : Optional.empty();
  }

  // ---- delete ----

  /**
   * Removes {@code key}. Removing an absent key is not an error.
   *
   * @param key 1 B to 4 KiB
   * @return the sequence number the delete got in its range
   * @throws JunctionException if the delete failed
   */
  public long delete(byte[] key) {
    return await(deleteAsync(key));
  }

  /** Asynchronous {@link #delete}. */
  public CompletableFuture<Long> deleteAsync(byte[] key) {
    DeleteRequest request =
        DeleteRequest.newBuilder().setHeader(nextHeader()).setKey(bytes(key, "key")).build();
    return write(unary((channel, dl, o) -> kv(channel, dl).delete(request, o), DeleteResponse::getSeq));
  }

  // ---- compare-and-set ----

  /**
   * Sets {@code key} to {@code newValue} if it holds {@code expected} (or, when {@code expected} is
   * null, if it is absent), atomically.
   *
   * @param key 1 B to 4 KiB
   * @param expected the value the key must hold, or {@code null} for "the key must be absent"
   * @param newValue 0 B to 1 MiB
   * @return whether the write applied, and the key after the call
   * @throws JunctionException if the call failed
   */
  public CasResult compareAndSet(byte[] key, byte[] expected, byte[] newValue) {
    return await(compareAndSetAsync(key, expected, newValue));
  }

  /** Asynchronous {@link #compareAndSet}. */
  public CompletableFuture<CasResult> compareAndSetAsync(byte[] key, byte[] expected, byte[] newValue) {
    ByteString k = bytes(key, "key");
    CompareAndSetRequest.Builder request =
        CompareAndSetRequest.newBuilder()
            .setHeader(nextHeader())
            .setKey(k)
            .setNewValue(bytes(newValue, "newValue"));
    if (expected == null) {
      request.setExpectAbsent(true);
    } else {
      request.setExpectedValue(ByteString.copyFrom(expected));
    }
    CompareAndSetRequest built = request.build();
    return write(
        unary(
            (channel, dl, o) -> kv(channel, dl).compareAndSet(built, o),
            (CompareAndSetResponse r) -> casResult(k, r)));
  }

  private static CasResult casResult(ByteString key, CompareAndSetResponse r) {
    Optional<Entry> current =
        r.getFound() ? Optional.of(entry(key, r.getCurrentValue(), r.getSeq())) : Optional.empty();
    return new CasResult(r.getApplied(), current);
  }

  // ---- scan ----

  /**
   * Returns the entries of {@code [from, to)} in key order, at most {@code limit} of them, collecting
   * the pages the server streams. A scan over several ranges is not one atomic snapshot. If an
   * endpoint becomes unavailable part-way, the scan resumes on the next endpoint after the last key
   * received.
   *
   * @param from first key, inclusive; {@code null} or empty = from the first key
   * @param to end, exclusive; {@code null} or empty = to the last key
   * @param limit maximum number of entries, up to {@value #MAX_SCAN_LIMIT}; 0 = {@value
   *     #DEFAULT_SCAN_LIMIT}
   * @return the entries, in key order
   * @throws IllegalArgumentException if {@code limit} is negative
   * @throws JunctionException if the scan failed ({@link InvalidArgumentException} for a bad interval
   *     or a limit above {@value #MAX_SCAN_LIMIT})
   */
  public List<Entry> scan(byte[] from, byte[] to, int limit) {
    return await(scanAsync(from, to, limit));
  }

  /** Asynchronous {@link #scan}. */
  public CompletableFuture<List<Entry>> scanAsync(byte[] from, byte[] to, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("scan limit must not be negative: " + limit);
    }
    ScanCall scan = new ScanCall(bound(from), bound(to), limit == 0 ? DEFAULT_SCAN_LIMIT : limit);
    return call(scan);
  }

  // ---- admin ----

  /**
   * The cluster's members and leader, as seen by the node that answers.
   *
   * @throws JunctionException if the call failed
   */
  public ClusterStatusResponse adminStatus() {
    return await(adminStatusAsync());
  }

  /** Asynchronous {@link #adminStatus}. */
  public CompletableFuture<ClusterStatusResponse> adminStatusAsync() {
    ClusterStatusRequest request = ClusterStatusRequest.getDefaultInstance();
    return unary(
        (channel, dl, o) -> admin(channel, dl).clusterStatus(request, o), (ClusterStatusResponse r) -> r);
  }

  /**
   * The routing table: every range, its interval, epoch and chain (head first).
   *
   * @throws JunctionException if the call failed
   */
  public RoutingTableResponse routingTable() {
    return await(routingTableAsync());
  }

  /** Asynchronous {@link #routingTable}. */
  public CompletableFuture<RoutingTableResponse> routingTableAsync() {
    RoutingTableRequest request = RoutingTableRequest.getDefaultInstance();
    return unary(
        (channel, dl, o) -> admin(channel, dl).routingTable(request, o), (RoutingTableResponse r) -> r);
  }

  /**
   * Every replica's own account of where it stands (node, role, epoch, progress).
   *
   * @throws JunctionException if the call failed
   */
  public ReplicaStatusResponse replicaStatus() {
    return await(replicaStatusAsync());
  }

  /** Asynchronous {@link #replicaStatus}. */
  public CompletableFuture<ReplicaStatusResponse> replicaStatusAsync() {
    ReplicaStatusRequest request = ReplicaStatusRequest.getDefaultInstance();
    return unary(
        (channel, dl, o) -> admin(channel, dl).replicaStatus(request, o), (ReplicaStatusResponse r) -> r);
  }

  // ---- lifecycle ----

  /**
   * Closes the channels this client opened, waiting a few seconds for calls under way. Channels
   * given to {@link Builder#channels} are left open. Calls after close fail with {@link
   * IllegalStateException}.
   */
  @Override
  public void close() {
    closed = true;
    ownedChannels.forEach(ManagedChannel::shutdown);
    try {
      for (ManagedChannel channel : ownedChannels) {
        if (!channel.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      ownedChannels.forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    }
  }

  // ---- internals ----

  /** Starts one attempt of a unary call on a channel, by a deadline. */
  @FunctionalInterface
  private interface UnaryCall<R> {
    void start(Channel channel, Deadline deadline, StreamObserver<R> observer);
  }

  /** Runs a unary call with failover; {@code convert} turns its response into the result. */
  /**
   * A write that ran out of time may have been applied: its deadline is reported as an unknown outcome,
   * never as a failure.
   */
  private static <T> CompletableFuture<T> write(CompletableFuture<T> call) {
    CompletableFuture<T> result = new CompletableFuture<>();
    call.whenComplete(
        (value, error) -> {
          if (error == null) {
            result.complete(value);
            return;
          }
          Throwable e = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
              ? error.getCause() : error;
          if (e instanceof JunctionException je && je.code() == io.grpc.Status.Code.DEADLINE_EXCEEDED) {
            result.completeExceptionally(
                new OutcomeUnknownException(
                    je.code(),
                    "outcome unknown: the write's deadline passed before an answer; it may or may not "
                        + "have been applied (" + je.getMessage() + ")",
                    je));
          } else {
            result.completeExceptionally(e);
          }
        });
    result.whenComplete((v, e) -> {
      if (result.isCancelled()) {
        call.cancel(true);
      }
    });
    return result;
  }

  private <R, T> CompletableFuture<T> unary(UnaryCall<R> call, Function<R, T> convert) {
    return call((channel, deadline) -> GrpcFutures.unary(o -> call.start(channel, deadline, o), convert));
  }

  private static KvGrpc.KvStub kv(Channel channel, Deadline deadline) {
    return KvGrpc.newStub(channel).withDeadline(deadline);
  }

  private static AdminGrpc.AdminStub admin(Channel channel, Deadline deadline) {
    return AdminGrpc.newStub(channel).withDeadline(deadline);
  }

  private <T> CompletableFuture<T> call(Failover.Attempt<T> attempt) {
    if (closed) {
      throw new IllegalStateException("JunctionClient is closed");
    }
    return failover.call(attempt);
  }

  /** A header for a new write: this client's id and the next request id. */
  private RequestHeader nextHeader() {
    return RequestHeader.newBuilder()
        .setClientId(clientId)
        .setRequestId(lastRequestId.incrementAndGet())
        .build();
  }

  private static ByteString bytes(byte[] array, String name) {
    return ByteString.copyFrom(Objects.requireNonNull(array, name));
  }

  private static ByteString bound(byte[] bound) {
    return bound == null ? ByteString.EMPTY : ByteString.copyFrom(bound);
  }

  private static Entry entry(ByteString key, ByteString value, long seq) {
    return new Entry(key.toByteArray(), value.toByteArray(), seq);
  }

  /** Waits for a call; rethrows its {@link JunctionException}. Interruption cancels the call. */
  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw asJunctionException(e.getCause());
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new JunctionException(Status.Code.CANCELLED, "interrupted while waiting for the call", e);
    } catch (CancellationException e) {
      throw new JunctionException(Status.Code.CANCELLED, "call cancelled", e);
    }
  }

  private static RuntimeException asJunctionException(Throwable cause) {
    if (cause instanceof JunctionException je) {
      return je;
    }
    if (cause instanceof RuntimeException re && !(cause instanceof io.grpc.StatusRuntimeException)) {
      return re;
    }
    return JunctionException.of(Status.fromThrowable(cause));
  }

  /**
   * Builds a {@link JunctionClient}. Give either {@link #endpoints} (the client opens and owns
   * plaintext channels to them) or {@link #channels} (existing channels, e.g. in-process ones in
   * tests).
   */
  public static final class Builder {
    private final List<String> endpoints = new ArrayList<>();
    private final List<ManagedChannel> channels = new ArrayList<>();
    private Duration deadline = DEFAULT_DEADLINE;
    private String clientId;

    private Builder() {}

    /**
     * The endpoints to call, {@code host:port} each ({@code [addr]:port} for IPv6), in order of
     * preference. Replaces endpoints given before.
     */
    public Builder endpoints(List<String> endpoints) {
      List<String> copy = List.copyOf(endpoints);
      copy.forEach(Endpoint::parse);
      this.endpoints.clear();
      this.endpoints.addAll(copy);
      return this;
    }

    /** Same as {@link #endpoints(List)}. */
    public Builder endpoints(String... endpoints) {
      return endpoints(List.of(endpoints));
    }

    /**
     * Existing channels to call instead of endpoints, in order of preference. The client does not
     * close them. Replaces channels given before.
     */
    public Builder channels(List<? extends ManagedChannel> channels) {
      List<ManagedChannel> copy = List.copyOf(channels);
      this.channels.clear();
      this.channels.addAll(copy);
      return this;
    }

    /** The deadline of every call, covering all its attempts; positive. Default 5 s. */
    public Builder deadline(Duration deadline) {
      if (deadline.isNegative() || deadline.isZero()) {
        throw new IllegalArgumentException("deadline must be positive: " + deadline);
      }
      this.deadline = deadline;
      return this;
    }

    /** The client id carried by every write; not blank. Default: a random UUID. */
    public Builder clientId(String clientId) {
      if (clientId.isBlank()) {
        throw new IllegalArgumentException("client id must not be blank");
      }
      this.clientId = clientId;
      return this;
    }

    /**
     * Builds the client.
     *
     * @throws IllegalArgumentException if neither endpoints nor channels were given, or both
     */
    public JunctionClient build() {
      if (endpoints.isEmpty() == channels.isEmpty()) {
        throw new IllegalArgumentException("give either endpoints or channels (exactly one of them)");
      }
      List<ManagedChannel> owned = endpoints.stream().map(Endpoint::parse).map(Builder::open).toList();
      List<Failover.Target> targets = new ArrayList<>();
      for (int i = 0; i < endpoints.size(); i++) {
        targets.add(new Failover.Target(Endpoint.parse(endpoints.get(i)).toString(), owned.get(i)));
      }
      channels.forEach(c -> targets.add(new Failover.Target(c.authority(), c)));
      return new JunctionClient(this, owned, targets);
    }

    private static ManagedChannel open(Endpoint endpoint) {
      return Grpc.newChannelBuilderForAddress(
              endpoint.host(), endpoint.port(), InsecureChannelCredentials.create())
          .build();
    }
  }
}
