package dev.junction.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
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
import dev.junction.client.proto.DrainRequest;
import dev.junction.client.proto.DrainResponse;
import dev.junction.client.proto.LoadRequest;
import dev.junction.client.proto.LoadResponse;
import dev.junction.client.proto.PlanRequest;
import dev.junction.client.proto.PlanResponse;
import dev.junction.client.proto.RoutingTableRequest;
import dev.junction.client.proto.RoutingTableResponse;
import io.grpc.Channel;
import io.grpc.ConnectivityState;
import io.grpc.Deadline;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ConcurrentHashMap;
import io.grpc.StatusRuntimeException;
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
 * <p><b>One hop (the switch at the edge).</b> The client keeps a copy of the cluster's routing table
 * ({@code Admin.RoutingTable}: {@link Builder#build} fetches it and connects to every node in it, then
 * it is fetched again in the background) and sends a write to the node of its range's
 * head and a read to a node of one of its replicas, over one channel per node. Every answer carries the
 * answering node's table version; when it is newer than the client's, the client fetches the table again
 * in the background. A node that is not the right one still serves the request (its gateway routes it
 * once), so a stale table costs a hop, never an error. Until the first table arrives, or when {@link
 * Builder#routing(boolean) routing} is off, calls go to the given endpoints, whose gateways route them.
 *
 * <p><b>Failover.</b> A call that fails with {@code UNAVAILABLE} is retried on the next endpoint (the
 * routed node first, then the given endpoints), each endpoint at most once per call and within the
 * call's deadline; other failures surface at once. When every endpoint was unavailable the call fails
 * with {@link UnavailableException}. Without a route, calls start at the endpoint that last answered.
 *
 * <p><b>Threads.</b> A blocking call runs on the caller's thread from start to answer (gRPC's blocking
 * stubs): no hand-off to another thread. The asynchronous forms complete their futures on gRPC's
 * threads.
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

  static {
    // Netty's leak detector (of gRPC's own shaded Netty) records a stack trace for a sample of buffer
    // allocations: about 1% of the client's CPU per call in a profile. Off unless asked for, as on the nodes.
    if (System.getProperty("io.grpc.netty.shaded.io.netty.leakDetection.level") == null) {
      io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.setLevel(
          io.grpc.netty.shaded.io.netty.util.ResourceLeakDetector.Level.DISABLED);
    }
  }

  /** Which replica a routed read goes to. */
  public enum ReadFrom {
    /** Any replica of the key's range, picked at random per call (CRAQ: every replica serves reads). */
    ANY_REPLICA,
    /** The tail of the key's range (it never has to ask another replica). */
    TAIL
  }

  /** Shortest time between two table fetches the client starts on its own. */
  private static final long REFRESH_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final Failover failover;
  private final String clientId;
  private final Duration deadline;
  private final List<ManagedChannel> ownedChannels;
  /** The network threads of the channels this client opens; null when it was given channels. */
  private final Transport transport;
  private final AtomicLong lastRequestId = new AtomicLong();
  private final boolean routing;
  private final ReadFrom readFrom;
  private final SlowStart slowStart;
  /** Channels by endpoint: the given endpoints' and those the client opened for the table's nodes. */
  private final ConcurrentHashMap<String, Failover.Target> targets = new ConcurrentHashMap<>();
  private final List<ManagedChannel> routedChannels = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Whether blocking single-key calls use the nodes' native endpoints (see {@link Builder#nativeProtocol}). */
  private final boolean nativeProtocol;
  /** The nodes' native endpoints, by endpoint. */
  private final ConcurrentHashMap<String, NativeEndpoint> natives = new ConcurrentHashMap<>();
  private volatile ClientTable table;
  private final AtomicBoolean refreshScheduled = new AtomicBoolean();
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private volatile long lastRefresh = System.nanoTime() - REFRESH_GAP_NANOS;
  private volatile boolean closed;

  private JunctionClient(
      Builder builder, Transport transport, List<ManagedChannel> ownedChannels, List<Failover.Target> gateways) {
    this.transport = transport;
    this.clientId = builder.clientId == null ? UUID.randomUUID().toString() : builder.clientId;
    this.deadline = builder.deadline;
    this.ownedChannels = List.copyOf(ownedChannels);
    this.failover = new Failover(gateways, deadline);
    // Routing needs channels to the table's nodes, which the client can open only for endpoints.
    this.routing = builder.routing && builder.channels.isEmpty();
    this.readFrom = builder.readFrom;
    this.slowStart = new SlowStart(builder.readSlowStart.toNanos());
    this.nativeProtocol = builder.nativeProtocol;
    for (Failover.Target t : gateways) {
      targets.putIfAbsent(t.name(), t);
    }
    if (routing) {
      CompletableFuture<Void> first = refresh();
      if (!builder.connectWait.isZero()) {
        connect(first, builder.connectWait);
      }
    }
  }

  /**
   * Waits, at most {@code wait}, for the first routing table and for a connection to every node in it,
   * so that the first calls neither go through a gateway nor pay for a connection. Gives up silently: a
   * client built while the cluster is down works once it is up (calls then fetch the table and connect).
   */
  private void connect(CompletableFuture<Void> firstTable, Duration wait) {
    long end = System.nanoTime() + wait.toNanos();
    try {
      firstTable.get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    ClientTable t = table;
    if (t == null) {
      return;
    }
    List<ManagedChannel> pending = new ArrayList<>();
    for (String endpoint : t.endpoints()) {
      if (target(endpoint).channel() instanceof ManagedChannel channel) {
        pending.add(channel);
      }
    }
    CountDownLatch ready = new CountDownLatch(pending.size());
    for (ManagedChannel channel : pending) {
      awaitState(channel, channel.getState(true), ready);
    }
    try {
      ready.await(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Counts {@code ready} down once {@code channel} is connected or has failed to connect. */
  private static void awaitState(ManagedChannel channel, ConnectivityState state, CountDownLatch ready) {
    switch (state) {
      case READY, TRANSIENT_FAILURE, SHUTDOWN -> ready.countDown();
      default -> channel.notifyWhenStateChanged(state, () -> awaitState(channel, channel.getState(false), ready));
    }
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
    PutRequest request = putRequest(key, value);
    return blocking(key, true, new KvCall<>(NativeProtocol.PUT, request, PutResponse.parser(), stub -> stub.put(request)),
        PutResponse::getTableVersion).getSeq();
  }

  /** Asynchronous {@link #put}. */
  public CompletableFuture<Long> putAsync(byte[] key, byte[] value) {
    PutRequest request = putRequest(key, value);
    return write(routed(key, true,
        attempt((channel, dl, o) -> kv(channel, dl).put(request, o), (PutResponse r) -> seen(r.getTableVersion(), r.getSeq()))));
  }

  private PutRequest putRequest(byte[] key, byte[] value) {
    return PutRequest.newBuilder()
        .setHeader(nextHeader())
        .setKey(bytes(key, "key"))
        .setValue(bytes(value, "value"))
        .build();
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
    GetRequest request = GetRequest.newBuilder().setKey(bytes(key, "key")).build();
    return found(key, blocking(key, false,
        new KvCall<>(NativeProtocol.GET, request, GetResponse.parser(), stub -> stub.get(request)), GetResponse::getTableVersion));
  }

  /**
   * Reads {@code key} at the head of its range, once the writes of the key the head holds in flight have
   * committed: the answer is at least as new as every write of the key the head had accepted when the read
   * reached it, where {@link #get} may answer the value before such a write. Meant for read-modify-write
   * (read, then {@link #compareAndSet(byte[], long, byte[])} on the entry's seq): the compare-and-set then
   * loses far fewer races to writes that were already in flight. Costs up to one write's latency on a key
   * being written, and every such read goes to the head. Linearizable, like {@link #get}.
   *
   * @param key 1 B to 4 KiB
   * @return the entry, or empty if the key is absent
   * @throws JunctionException if the read failed
   */
  public Optional<Entry> getLatest(byte[] key) {
    GetRequest request = GetRequest.newBuilder().setKey(bytes(key, "key")).setLatest(true).build();
    return found(key, blocking(key, false, true,
        new KvCall<>(NativeProtocol.GET, request, GetResponse.parser(), stub -> stub.get(request)), GetResponse::getTableVersion));
  }

  /** Asynchronous {@link #get}. */
  public CompletableFuture<Optional<Entry>> getAsync(byte[] key) {
    GetRequest request = GetRequest.newBuilder().setKey(bytes(key, "key")).build();
    return routed(key, false,
        attempt((channel, dl, o) -> kv(channel, dl).get(request, o), (GetResponse r) -> seen(r.getTableVersion(), found(key, r))));
  }

  private static Optional<Entry> found(byte[] key, GetResponse r) {
    return r.getFound() ? Optional.of(Entry.received(key.clone(), r.getValue(), r.getSeq())) : Optional.empty();
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
    DeleteRequest request = deleteRequest(key);
    return blocking(key, true,
        new KvCall<>(NativeProtocol.DELETE, request, DeleteResponse.parser(), stub -> stub.delete(request)),
        DeleteResponse::getTableVersion).getSeq();
  }

  /** Asynchronous {@link #delete}. */
  public CompletableFuture<Long> deleteAsync(byte[] key) {
    DeleteRequest request = deleteRequest(key);
    return write(routed(key, true,
        attempt((channel, dl, o) -> kv(channel, dl).delete(request, o), (DeleteResponse r) -> seen(r.getTableVersion(), r.getSeq()))));
  }

  private DeleteRequest deleteRequest(byte[] key) {
    return DeleteRequest.newBuilder().setHeader(nextHeader()).setKey(bytes(key, "key")).build();
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
    CompareAndSetRequest request = casRequest(key, expected, newValue);
    return casResult(key, blocking(key, true, casCall(request), CompareAndSetResponse::getTableVersion));
  }

  /** Asynchronous {@link #compareAndSet(byte[], byte[], byte[])}. */
  public CompletableFuture<CasResult> compareAndSetAsync(byte[] key, byte[] expected, byte[] newValue) {
    return casAsync(key, casRequest(key, expected, newValue));
  }

  /**
   * Sets {@code key} to {@code newValue} if its value still carries the sequence number {@code
   * expectedSeq} (the {@link Entry#seq()} a read returned), atomically: a read-modify-write that does
   * not send the old value back.
   *
   * @param key 1 B to 4 KiB
   * @param expectedSeq the sequence number the key's value must still carry, positive
   * @param newValue 0 B to 1 MiB
   * @return whether the write applied, and the key after the call
   * @throws IllegalArgumentException if {@code expectedSeq} is not positive
   * @throws JunctionException if the call failed
   */
  public CasResult compareAndSet(byte[] key, long expectedSeq, byte[] newValue) {
    CompareAndSetRequest request = casSeqRequest(key, expectedSeq, newValue);
    return casResult(key, blocking(key, true, casCall(request), CompareAndSetResponse::getTableVersion));
  }

  /** Asynchronous {@link #compareAndSet(byte[], long, byte[])}. */
  public CompletableFuture<CasResult> compareAndSetAsync(byte[] key, long expectedSeq, byte[] newValue) {
    return casAsync(key, casSeqRequest(key, expectedSeq, newValue));
  }

  private CompletableFuture<CasResult> casAsync(byte[] key, CompareAndSetRequest request) {
    return write(routed(key, true,
        attempt((channel, dl, o) -> kv(channel, dl).compareAndSet(request, o),
            (CompareAndSetResponse r) -> seen(r.getTableVersion(), casResult(key, r)))));
  }

  private CompareAndSetRequest casRequest(byte[] key, byte[] expected, byte[] newValue) {
    CompareAndSetRequest.Builder request =
        CompareAndSetRequest.newBuilder()
            .setHeader(nextHeader())
            .setKey(bytes(key, "key"))
            .setNewValue(bytes(newValue, "newValue"));
    if (expected == null) {
      request.setExpectAbsent(true);
    } else {
      request.setExpectedValue(ByteString.copyFrom(expected));
    }
    return request.build();
  }

  private CompareAndSetRequest casSeqRequest(byte[] key, long expectedSeq, byte[] newValue) {
    if (expectedSeq <= 0) {
      throw new IllegalArgumentException("an expected sequence number is positive, not " + expectedSeq);
    }
    return CompareAndSetRequest.newBuilder()
        .setHeader(nextHeader())
        .setKey(bytes(key, "key"))
        .setExpectedSeq(expectedSeq)
        .setNewValue(bytes(newValue, "newValue"))
        .build();
  }

  private static CasResult casResult(byte[] key, CompareAndSetResponse r) {
    Optional<Entry> current =
        r.getFound() ? Optional.of(Entry.received(key.clone(), r.getCurrentValue(), r.getSeq())) : Optional.empty();
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
   * What the controller's placement planner would do now, the moves it rejected and why, the lower bound,
   * and the moves under way. Changes nothing.
   */
  public PlanResponse plan() {
    return await(planAsync());
  }

  /**
   * Starts draining {@code node} (its cluster address or gRPC endpoint), or stops with {@code cancel}; asked
   * again, reports how many replicas it still holds.
   */
  public DrainResponse drain(String node, boolean cancel) {
    DrainRequest request = DrainRequest.newBuilder().setNode(node).setCancel(cancel).build();
    return await(unary((channel, dl, o) -> admin(channel, dl).drain(request, o), (DrainResponse r) -> r));
  }

  /**
   * The controller's load statistics: per range and per node, requests and bytes per second (moving
   * averages) and the sizes the replicas measured.
   */
  public LoadResponse load() {
    return await(loadAsync());
  }

  /** Asynchronous {@link #load}. */
  public CompletableFuture<LoadResponse> loadAsync() {
    LoadRequest request = LoadRequest.getDefaultInstance();
    return unary((channel, dl, o) -> admin(channel, dl).load(request, o), (LoadResponse r) -> r);
  }

  /**
   * Starts moving range {@code rangeId}'s replica from node {@code from} to node {@code to} (cluster
   * addresses or gRPC endpoints), or its head when {@code to} holds a replica already; returns the operator.
   */
  public dev.junction.client.proto.Operator move(long rangeId, String from, String to) {
    dev.junction.client.proto.MoveRequest request = dev.junction.client.proto.MoveRequest.newBuilder()
        .setRangeId(rangeId).setFromNode(from).setToNode(to).build();
    return await(unary((channel, dl, o) -> admin(channel, dl).move(request, o),
        (dev.junction.client.proto.MoveResponse r) -> r.getOperator()));
  }

  /**
   * Splits range {@code rangeId} at {@code at} (empty: near the middle of its bytes); returns the operator
   * that carries it out (see the Admin service's Split).
   */
  public dev.junction.client.proto.Operator split(long rangeId, byte[] at) {
    dev.junction.client.proto.SplitRequest request = dev.junction.client.proto.SplitRequest.newBuilder()
        .setRangeId(rangeId).setAt(com.google.protobuf.ByteString.copyFrom(at)).build();
    return await(unary((channel, dl, o) -> admin(channel, dl).split(request, o),
        (dev.junction.client.proto.MoveResponse r) -> r.getOperator()));
  }

  /** Merges range {@code rangeId} with the range after it; returns the operator (see the Admin service's Merge). */
  public dev.junction.client.proto.Operator merge(long rangeId) {
    dev.junction.client.proto.MergeRequest request =
        dev.junction.client.proto.MergeRequest.newBuilder().setRangeId(rangeId).build();
    return await(unary((channel, dl, o) -> admin(channel, dl).merge(request, o),
        (dev.junction.client.proto.MoveResponse r) -> r.getOperator()));
  }

  /** Cancels operator {@code id}; returns it, in phase cancelled. */
  public dev.junction.client.proto.Operator cancelOperator(long id) {
    dev.junction.client.proto.CancelOperatorRequest request =
        dev.junction.client.proto.CancelOperatorRequest.newBuilder().setId(id).build();
    return await(unary((channel, dl, o) -> admin(channel, dl).cancelOperator(request, o),
        (dev.junction.client.proto.CancelOperatorResponse r) -> r.getOperator()));
  }

  /** Starts the planner's moves now; answers like {@link #plan}, with the moves that were started. */
  public PlanResponse rebalance() {
    dev.junction.client.proto.RebalanceRequest request = dev.junction.client.proto.RebalanceRequest.getDefaultInstance();
    return await(unary((channel, dl, o) -> admin(channel, dl).rebalance(request, o), (PlanResponse r) -> r));
  }

  /** Asynchronous {@link #plan}. */
  public CompletableFuture<PlanResponse> planAsync() {
    PlanRequest request = PlanRequest.getDefaultInstance();
    return unary((channel, dl, o) -> admin(channel, dl).plan(request, o), (PlanResponse r) -> r);
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
    natives.values().forEach(NativeEndpoint::close);
    List<ManagedChannel> all = new ArrayList<>(ownedChannels);
    all.addAll(routedChannels);
    all.forEach(ManagedChannel::shutdown);
    try {
      for (ManagedChannel channel : all) {
        if (!channel.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
          channel.shutdownNow();
        }
      }
    } catch (InterruptedException e) {
      all.forEach(ManagedChannel::shutdownNow);
      Thread.currentThread().interrupt();
    } finally {
      if (transport != null) {
        transport.close();
      }
    }
  }

  /** The endpoints to which this client holds a ready connection (for tests). */
  java.util.Set<String> readyEndpoints() {
    java.util.Set<String> ready = new java.util.TreeSet<>();
    targets.forEach((name, t) -> {
      if (t.channel() instanceof ManagedChannel c && c.getState(false) == ConnectivityState.READY) {
        ready.add(name);
      }
    });
    return ready;
  }

  /** Whether the network threads of the channels this client opened have stopped (for tests). */
  boolean networkStopped() {
    return transport == null || transport.terminated();
  }

  /** Whether any channel this client opened holds a ready connection (for tests that stop nodes). */
  boolean anyConnectionReady() {
    List<ManagedChannel> all = new ArrayList<>(ownedChannels);
    all.addAll(routedChannels);
    return all.stream().anyMatch(c -> c.getState(false) == io.grpc.ConnectivityState.READY);
  }

  // ---- internals ----

  /** Starts one attempt of a unary call on a channel, by a deadline. */
  @FunctionalInterface
  private interface UnaryCall<R> {
    void start(Channel channel, Deadline deadline, StreamObserver<R> observer);
  }

  /** A blocking call on one stub. */
  @FunctionalInterface
  private interface BlockingCall<R> {
    R call(KvGrpc.KvBlockingStub stub);
  }

  /** A blocking {@code Kv} call: its native method, request and response parser, and the same call over gRPC. */
  private record KvCall<R>(byte method, MessageLite request, Parser<R> parser, BlockingCall<R> grpc) {}

  private static KvCall<CompareAndSetResponse> casCall(CompareAndSetRequest request) {
    return new KvCall<>(NativeProtocol.COMPARE_AND_SET, request, CompareAndSetResponse.parser(),
        stub -> stub.compareAndSet(request));
  }

  /**
   * Runs a call on the caller's thread: on the routed node first, then on the given endpoints, each at
   * most once, while they answer {@code UNAVAILABLE} and the deadline lasts.
   */
  private <R> R blocking(byte[] key, boolean write, KvCall<R> call, java.util.function.ToLongFunction<R> version) {
    return blocking(key, write, write, call, version);
  }

  /** {@link #blocking}, to the head first when {@code atHead} (writes; latest-reads). */
  private <R> R blocking(
      byte[] key, boolean write, boolean atHead, KvCall<R> call, java.util.function.ToLongFunction<R> version) {
    if (closed) {
      throw new IllegalStateException("JunctionClient is closed");
    }
    Deadline d = failover.newDeadline();
    // The first endpoint nearly always answers: the whole failover order is made only when it does not.
    Failover.Target first = first(key, atHead);
    StatusRuntimeException firstFailure;
    try {
      return answer(first, call, d, version);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
        throw failure(JunctionException.of(e.getStatus()), write);
      }
      firstFailure = e;
    }
    List<String> failures = new ArrayList<>(2);
    failures.add(first.name() + ": " + JunctionException.describe(firstFailure.getStatus()));
    Status last = firstFailure.getStatus();
    boolean notApplied = Failover.notApplied(firstFailure);
    refreshSoon();
    List<Failover.Target> order = failover.order(route(key, atHead));
    for (Failover.Target t : order) {
      if (d.isExpired()) {
        break;
      }
      if (t.channel() == first.channel()) {
        continue;
      }
      try {
        return answer(t, call, d, version);
      } catch (StatusRuntimeException e) {
        last = e.getStatus();
        if (last.getCode() != Status.Code.UNAVAILABLE) {
          throw failure(JunctionException.of(last), write);
        }
        failures.add(t.name() + ": " + JunctionException.describe(last));
        notApplied &= Failover.notApplied(e);
        refreshSoon();
      }
    }
    throw failure(Failover.unavailable(failures, order.size(), last, notApplied), write);
  }

  /** One attempt of a blocking call on {@code t}: over its node's native endpoint where it has one. */
  private <R> R answer(
      Failover.Target t, KvCall<R> call, Deadline d, java.util.function.ToLongFunction<R> version) {
    NativeEndpoint n = nativeEndpoint(t);
    R r = n != null
        ? n.call(call.method(), call.request(), call.parser(), d)
        : call.grpc().call(KvGrpc.newBlockingStub(t.channel()).withDeadline(d));
    failover.answered(t);
    seen(version.applyAsLong(r), null);
    return r;
  }

  /** The native endpoint of {@code t}'s node, as the client's table names it; null: call it over gRPC. */
  private NativeEndpoint nativeEndpoint(Failover.Target t) {
    ClientTable tab = table;
    if (!nativeProtocol || tab == null) {
      return null;
    }
    String endpoint = tab.nativeEndpoint(t.name());
    if (endpoint == null) {
      return null;
    }
    NativeEndpoint n = natives.get(endpoint);
    if (n != null) {
      return n;
    }
    n = natives.computeIfAbsent(endpoint, NativeEndpoint::new);
    if (closed) {
      n.close();
    }
    return n;
  }

  /** A write's deadline is an unknown outcome, never a failure (see {@link #write}). */
  private static JunctionException failure(JunctionException e, boolean write) {
    if (write && e.code() == Status.Code.DEADLINE_EXCEEDED) {
      return unknownOutcome(e);
    }
    return e;
  }

  private static OutcomeUnknownException unknownOutcome(JunctionException je) {
    return new OutcomeUnknownException(
        je.code(),
        "outcome unknown: the write's deadline passed before an answer; it may or may not "
            + "have been applied (" + je.getMessage() + ")",
        je);
  }

  /** An asynchronous call routed like {@link #blocking}. */
  private <T> CompletableFuture<T> routed(byte[] key, boolean write, Failover.Attempt<T> attempt) {
    if (closed) {
      throw new IllegalStateException("JunctionClient is closed");
    }
    return failover.call(attempt, failover.order(route(key, write)));
  }

  /**
   * The endpoints to try for a request on {@code key}, best first: the node that should serve it, the
   * other nodes of its range's chain, then every other node of the table (each routes what is not its
   * own). Empty when the client has no table; the given endpoints follow in {@link Failover#order}.
   */
  private List<Failover.Target> route(byte[] key, boolean atHead) {
    ClientTable t = table;
    if (t == null) {
      return List.of();
    }
    List<String> replicas = t.replicas(key);
    int first = pick(replicas, atHead);
    List<Failover.Target> order = new ArrayList<>(replicas.size() + 2);
    order.add(target(replicas.get(first)));
    for (int i = 0; i < replicas.size(); i++) {
      if (i != first) {
        order.add(target(replicas.get(i)));
      }
    }
    for (String endpoint : t.endpoints()) {
      if (!replicas.contains(endpoint)) {
        order.add(target(endpoint));
      }
    }
    return order;
  }

  /** The endpoint to try first for a request on {@code key}: the first of {@link #route}, or a gateway. */
  private Failover.Target first(byte[] key, boolean atHead) {
    ClientTable t = table;
    if (t == null) {
      return failover.preferred();
    }
    List<String> replicas = t.replicas(key);
    return target(replicas.get(pick(replicas, atHead)));
  }

  /** Which of a range's replicas serves a request first: the head, the tail, or one at random. */
  private int pick(List<String> replicas, boolean atHead) {
    if (atHead) {
      return 0;
    } else if (readFrom == ReadFrom.TAIL || replicas.size() == 1) {
      return replicas.size() - 1;
    }
    return slowStart.pick(replicas, System.nanoTime(), java.util.concurrent.ThreadLocalRandom.current().nextDouble());
  }

  private Failover.Target target(String endpoint) {
    Failover.Target t = targets.get(endpoint);
    if (t != null) {
      return t;
    }
    return targets.computeIfAbsent(endpoint, e -> {
      ManagedChannel channel = transport.open(Endpoint.parse(e));
      routedChannels.add(channel);
      if (closed) {
        channel.shutdown();
      }
      return new Failover.Target(e, channel);
    });
  }

  /** An answer came from a node whose table has {@code version}: fetch the table if that is newer. */
  private <T> T seen(long version, T value) {
    ClientTable t = table;
    if (routing && (t == null || version > t.version())) {
      refreshSoon();
    }
    return value;
  }

  /** Fetches the table now, or once {@link #REFRESH_GAP_NANOS} have passed since the last fetch. */
  private void refreshSoon() {
    if (!routing) {
      return;
    }
    long wait = REFRESH_GAP_NANOS - (System.nanoTime() - lastRefresh);
    if (wait <= 0) {
      refresh();
    } else if (refreshScheduled.compareAndSet(false, true)) {
      // Not dropped: a newer table seen right after a fetch would otherwise wait for another answer.
      CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS).execute(() -> {
        refreshScheduled.set(false);
        refresh();
      });
    }
  }

  /**
   * Fetches the routing table in the background (one fetch at a time); the future completes when this
   * fetch has ended (at once when another one is under way).
   */
  private CompletableFuture<Void> refresh() {
    if (closed || !refreshing.compareAndSet(false, true)) {
      return CompletableFuture.completedFuture(null);
    }
    lastRefresh = System.nanoTime();
    CompletableFuture<RoutingTableResponse> fetch;
    try {
      fetch = routingTableAsync();
    } catch (RuntimeException e) {
      refreshing.set(false);
      return CompletableFuture.completedFuture(null);
    }
    return fetch.handle((response, error) -> {
      try {
        if (response != null) {
          ClientTable next = ClientTable.of(response);
          ClientTable current = table;
          if (next != null && (current == null || next.version() > current.version())) {
            table = next;
            slowStart.tableInstalled(next.replicaEndpoints(), System.nanoTime());
          }
        }
      } finally {
        lastRefresh = System.nanoTime();
        refreshing.set(false);
      }
      if (response == null && table == null && !closed) {
        // No table yet (a cluster still forming, an endpoint down): try again in a while; calls meanwhile
        // go to the given endpoints.
        CompletableFuture.delayedExecutor(1, TimeUnit.SECONDS).execute(this::refresh);
      }
      return null;
    });
  }

  /** The version of the routing table the client routes by, or 0 when it has none (yet). */
  public long tableVersion() {
    ClientTable t = table;
    return t == null ? 0 : t.version();
  }

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
            result.completeExceptionally(unknownOutcome(je));
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
    return call(attempt(call, convert));
  }

  private static <R, T> Failover.Attempt<T> attempt(UnaryCall<R> call, Function<R, T> convert) {
    return (channel, deadline) -> GrpcFutures.unary(o -> call.start(channel, deadline, o), convert);
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
    private boolean routing = true;
    private ReadFrom readFrom = ReadFrom.ANY_REPLICA;
    private Duration readSlowStart = Duration.ofSeconds(20);
    private Duration connectWait = DEFAULT_DEADLINE;
    private int eventLoopThreads = 1;
    private boolean nativeProtocol = true;

    private Builder() {}

    /**
     * The network threads of the client's channels (default 1: one thread serves the connections to
     * every node, which on small machines costs less per call than a thread per connection). Raise it
     * when one client drives many calls at once from a large machine.
     */
    public Builder eventLoopThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("event loop threads must be at least 1: " + threads);
      }
      this.eventLoopThreads = threads;
      return this;
    }

    /**
     * How long {@link #build} waits for the routing table and a connection to every node in it (default
     * 5 s; zero: build returns at once and both come with the first calls). It returns as soon as both
     * are there, or when fetching the table failed (e.g. no endpoint is up): the client then keeps trying
     * in the background. Only for routing clients.
     */
    public Builder connectWait(Duration wait) {
      if (wait.isNegative()) {
        throw new IllegalArgumentException("connect wait must not be negative: " + wait);
      }
      this.connectWait = wait;
      return this;
    }

    /**
     * Whether the client routes by its own copy of the routing table (default true): one hop to the node
     * that serves each request. Off, every call goes to the given endpoints, whose gateways route it.
     * Clients built on {@link #channels} never route (they cannot open channels to the table's nodes).
     */
    public Builder routing(boolean routing) {
      this.routing = routing;
      return this;
    }

    /**
     * Whether the blocking single-key calls ({@link #get}, {@link #getLatest}, {@link #put}, {@link
     * #delete}, {@link #compareAndSet}) go to the nodes' native endpoints, where the routing table names
     * them (default true). Off, or for nodes that serve none, they go over gRPC like every other call.
     * The native protocol carries the same messages with the same meaning; it costs the client about half
     * the CPU per call and far less compilation when the JVM is new (see {@link NativeProtocol}). Only
     * for routing clients: the endpoints come with the table.
     */
    public Builder nativeProtocol(boolean nativeProtocol) {
      this.nativeProtocol = nativeProtocol;
      return this;
    }

    /** Which replica a routed read goes to (default {@link ReadFrom#ANY_REPLICA}). */
    public Builder readFrom(ReadFrom readFrom) {
      this.readFrom = java.util.Objects.requireNonNull(readFrom, "readFrom");
      return this;
    }

    /**
     * With {@link ReadFrom#ANY_REPLICA}: how long a node that starts holding replicas after the client's
     * first table (a node added to the cluster, or one emptied and filled again) takes to get its full
     * share of the reads, from none (default 20 s; zero: at once). Its JVM compiles its read path
     * meanwhile, instead of the clients waiting on it there (see {@code SlowStart}).
     */
    public Builder readSlowStart(Duration window) {
      if (window == null || window.isNegative()) {
        throw new IllegalArgumentException("a read slow start window is zero or more, not " + window);
      }
      this.readSlowStart = window;
      return this;
    }

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
      Transport transport = endpoints.isEmpty() ? null : new Transport(eventLoopThreads);
      List<ManagedChannel> owned =
          transport == null ? List.of() : endpoints.stream().map(Endpoint::parse).map(transport::open).toList();
      List<Failover.Target> targets = new ArrayList<>();
      for (int i = 0; i < endpoints.size(); i++) {
        targets.add(new Failover.Target(Endpoint.parse(endpoints.get(i)).toString(), owned.get(i)));
      }
      channels.forEach(c -> targets.add(new Failover.Target(c.authority(), c)));
      return new JunctionClient(this, transport, owned, targets);
    }
  }
}
