package dev.junction.sharding.cluster;

import dev.junction.chain.core.ClientReply;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.chain.core.ReadView;
import dev.junction.chain.core.Replica;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.core.WriteResult;
import dev.junction.chain.replica.LocalReplicas;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.chain.replica.Responder;
import dev.junction.sharding.routing.GatewayStats;
import dev.junction.sharding.routing.LoadCounters;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.sharding.routing.ScanCursor;
import dev.junction.sharding.routing.TableHolder;
import dev.junction.store.KeyValue;
import dev.junction.store.Versioned;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The gateway's router: TurboKV's switch, in software. It looks a key up in the node's routing table and
 * sends a write to the range's head and a read to a replica that may serve it, in one hop: a replica on
 * this node gets the request directly ({@link LocalReplicas}: its actor for writes and scans, its read
 * view on the caller's thread for gets), a replica on another node through that node's {@link
 * NodeEndpoint}, whose answer comes back to this node's inbox. No request goes through Cluster Sharding,
 * makes a temporary actor or is serialized on its way to a replica of this node.
 *
 * <p>A get is answered by a replica of this node when the range has one (CRAQ: any replica answers a key
 * with no write in flight), else by the tail; a replica with a write in flight for the key sends it to the
 * tail. A scan goes to the tail of each range it covers, in key order, until the limit. On an answer that
 * says the table is stale (a wrong epoch, a replica that is not in the chain or not the head) or that the
 * replica cannot serve right now, it refreshes the table from a majority and tries again, until the
 * request's deadline; a request still waiting when its key's range gets a new configuration (a repair) is
 * sent again at once. Writes carry their request id, so a write sent twice is applied at most once. It
 * counts requests and bytes per range and per node (the switch's counters).
 *
 * <p>In {@code server-driven} mode it instead hands each request to the router of a random node, which
 * routes it: that mode exists only to measure what one-hop routing saves.
 */
public final class Router {
  /** What the gateway answers: its own types, whatever the replicas said. */
  public sealed interface Result {}

  /** A write committed. */
  public record Written(WriteResult result) implements Result {}

  /** A get's answer: the value, or null when the key is absent. */
  public record Found(Versioned value) implements Result {}

  /** A scan's entries (empty when they went to a streaming sink). */
  public record Scanned(List<KeyValue> entries) implements Result {}

  /**
   * No replica could serve the request before its deadline; retry. {@code notApplied}: every replica the
   * request was sent to refused it, so a write certainly did not take effect.
   */
  public record Unavailable(String why, boolean notApplied) implements Result {
    public Unavailable(String why) {
      this(why, false);
    }
  }

  /** The request failed at a replica. */
  public record Failed(ReplicaActor.Failure kind, String message) implements Result {}

  /** How often waiting requests are checked against their deadlines. */
  static final Duration SWEEP = Duration.ofMillis(20);

  /** The pause before trying again after a replica said it cannot serve now (no lease, catching up). */
  static final Duration REJECTED_PAUSE = Duration.ofMillis(50);

  private final ActorSystem<?> system;
  private final TableHolder tables;
  private final ActorRef<TableKeeper.Command> keeper;
  private final ClusterSettings.RoutingMode mode;
  private final LoadCounters counters;
  private final LocalReplicas locals;
  private final String selfNode;
  private final AtomicReference<List<ActorRef<RouterActor.Command>>> peers = new AtomicReference<>(List.of());
  /** Requests waiting for an answer: a new table may send them again, the sweeper times them out. */
  private final Set<Retrying> waiting = ConcurrentHashMap.newKeySet();
  /** An answer expected from another node: who takes it, and until when (the request's deadline). */
  private record Expected(Consumer<ReplicaActor.Reply> answer, long deadline) {}

  /** Answers expected from other nodes, by the number they carry. */
  private final ConcurrentHashMap<Long, Expected> expected = new ConcurrentHashMap<>();
  private final AtomicLong numbers = new AtomicLong();
  private final ConcurrentHashMap<String, ActorRef<NodeEndpoint.Command>> endpoints = new ConcurrentHashMap<>();
  private volatile ActorRef<Responder.Answer> inbox;
  private final GatewayStats stats = new GatewayStats();

  public Router(
      ActorSystem<?> system,
      TableHolder tables,
      ActorRef<TableKeeper.Command> keeper,
      ClusterSettings.RoutingMode mode,
      LoadCounters counters,
      LocalReplicas locals,
      String selfNode) {
    this.system = system;
    this.tables = tables;
    this.keeper = keeper;
    this.mode = mode;
    this.counters = counters;
    this.locals = locals;
    this.selfNode = selfNode;
    tables.onNewTable(t -> waiting.forEach(r -> r.tableChanged(t)));
    system.scheduler().scheduleWithFixedDelay(SWEEP, SWEEP, this::sweep, system.executionContext());
  }

  /** The behavior of this node's answer inbox (where other nodes' replicas send their answers). */
  Behavior<Responder.Answer> inboxBehavior() {
    return Behaviors.receive(Responder.Answer.class)
        .onMessage(Responder.Answer.class, a -> {
          Expected e = expected.remove(a.id());
          if (e != null) {
            e.answer().accept(a.reply());
          }
          return Behaviors.same();
        })
        .build();
  }

  void useInbox(ActorRef<Responder.Answer> inbox) {
    this.inbox = inbox;
  }

  /** Where {@link RouterActor} keeps the other nodes' routers. */
  AtomicReference<List<ActorRef<RouterActor.Command>>> peers() {
    return peers;
  }

  public LoadCounters counters() {
    return counters;
  }

  /** What requests cost here beyond one attempt (refusals, resends, table refreshes). */
  public GatewayStats stats() {
    return stats;
  }

  /** The newest routing table this node knows. */
  public RoutingTable table() {
    return tables.find().orElseThrow(() -> new RouterUnavailableException("no routing table yet"));
  }

  // ------------------------------------------------------------------------------------- requests

  /** A write (put, delete, compare-and-set); {@link Written} when committed. */
  public CompletionStage<Result> write(RequestId id, WriteOp op, Duration timeout) {
    if (mode == ClusterSettings.RoutingMode.SERVER_DRIVEN) {
      return handOver(r -> new RouterActor.RouteWrite(id, op, timeout.toMillis(), r), timeout);
    }
    return writeDirect(id, op, timeout);
  }

  /** A read of one key; {@link Found}. */
  public CompletionStage<Result> get(byte[] key, Duration timeout) {
    return get(key, false, timeout);
  }

  /**
   * A read of one key; {@link Found}. {@code latest}: at the range's head, once the key's writes in flight
   * there have committed (the server-driven mode serves it as a plain get).
   */
  public CompletionStage<Result> get(byte[] key, boolean latest, Duration timeout) {
    if (mode == ClusterSettings.RoutingMode.SERVER_DRIVEN) {
      return handOver(r -> new RouterActor.RouteGet(key, timeout.toMillis(), r), timeout);
    }
    return latest ? getLatest(key, timeout) : getDirect(key, timeout);
  }

  /** A latest-read: at the head (its read view when the key is clean there, else its actor waits). */
  CompletionStage<Result> getLatest(byte[] key, Duration timeout) {
    return withRetry(timeout, key, (range, deadline, answer) -> {
      Replica head = range.head();
      counters.recordLatestRead(range.rangeId(), head.node(), key.length);
      counters.sampleKey(range.rangeId(), key);
      readAt(range, head, new ReadOp.Get(key, true), answer, deadline);
    });
  }

  /** Up to {@code limit} entries of {@code [from, to)} in key order; {@link Scanned}. */
  public CompletionStage<Result> scan(byte[] from, byte[] to, int limit, Duration timeout) {
    if (mode == ClusterSettings.RoutingMode.SERVER_DRIVEN) {
      return handOver(r -> new RouterActor.RouteScan(from, to, limit, timeout.toMillis(), r), timeout);
    }
    return scanDirect(from, to, limit, timeout);
  }

  /**
   * A scan that hands each tail's answer to {@code sink} as it arrives, in key order, so that a caller can
   * stream a large result instead of holding it. Completes with an empty {@link Scanned} when every entry
   * went to the sink, or with what stopped the scan.
   */
  public CompletionStage<Result> scanStreaming(
      byte[] from, byte[] to, int limit, Duration timeout, Consumer<List<KeyValue>> sink) {
    if (mode == ClusterSettings.RoutingMode.SERVER_DRIVEN) {
      return scan(from, to, limit, timeout)
          .thenApply(
              r -> {
                if (r instanceof Scanned s) {
                  sink.accept(s.entries());
                  return new Scanned(List.of());
                }
                return r;
              });
    }
    return scanSwitch(from, to, limit, timeout, sink);
  }

  private CompletionStage<Result> scanSwitch(
      byte[] from, byte[] to, int limit, Duration timeout, Consumer<List<KeyValue>> sink) {
    ScanCursor cursor;
    try {
      cursor = ScanCursor.start(table(), from, to, limit);
    } catch (RouterUnavailableException | IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return scanFrom(cursor, sink, System.nanoTime() + timeout.toNanos());
  }

  CompletionStage<Result> writeDirect(RequestId id, WriteOp op, Duration timeout) {
    return withRetry(timeout, op.key(), (range, deadline, answer) -> {
      Replica head = range.head();
      counters.recordWrite(range.rangeId(), head.node(), op.key().length + valueSize(op));
      counters.sampleKey(range.rangeId(), op.key());
      ReplicaId replica = range.replicaId(head.slot());
      LocalReplicas.Handle h = head.node().equals(selfNode) ? locals.get(replica) : null;
      if (h != null) {
        h.ref().tell(new ReplicaActor.ClientWrite(range.epoch(), id, op, new Responder.Local(answer)));
      } else {
        remote(head.node(), number -> new NodeEndpoint.Write(replica, range.epoch(), id, op, responder(number)),
            answer, deadline);
      }
    });
  }

  CompletionStage<Result> getDirect(byte[] key, Duration timeout) {
    Result here = localRead(key);
    if (here != null) {
      return CompletableFuture.completedFuture(here); // the common case: no retry state at all
    }
    return withRetry(timeout, key, (range, deadline, answer) -> {
      ReadView.Outcome local = readHere(range, key);
      if (local instanceof ReadView.Value v) {
        answer.accept(new ReplicaActor.Value(v.value()));
        return;
      }
      if (local == ReadView.Outcome.ASK_TAIL) {
        stats.toTail();
      }
      // No replica here, or a write in flight, or it cannot serve now: the tail decides.
      Replica tail = range.tail();
      counters.recordRead(range.rangeId(), tail.node(), key.length);
      counters.sampleKey(range.rangeId(), key);
      readAt(range, tail, new ReadOp.Get(key), answer, deadline);
    });
  }

  /** A get answered at once by a replica of this node (see {@link #readHere}), or null. */
  private Result localRead(byte[] key) {
    RoutingTable t = tables.find().orElse(null);
    if (t == null) {
      return null;
    }
    return readHere(t.lookup(key), key) instanceof ReadView.Value v ? new Found(v.value()) : null;
  }

  /**
   * What the replica of {@code range} on this node answers for {@code key} through its read view (a value
   * is counted as a read here); null when no replica of the range serves here. A range has at most one
   * replica per node.
   */
  private ReadView.Outcome readHere(RangeConfig range, byte[] key) {
    for (Replica r : range.chain()) {
      if (r.node().equals(selfNode)) {
        LocalReplicas.Handle h = locals.get(range.replicaId(r.slot()));
        ReadView.Outcome outcome =
            h == null ? null : h.view().get(range.epoch(), key, System.nanoTime(), h.store()::get);
        if (outcome instanceof ReadView.Value v) {
          counters.recordRead(range.rangeId(), r.node(), key.length + (v.value() == null ? 0 : v.value().value().length));
          counters.sampleKey(range.rangeId(), key);
        }
        return outcome;
      }
    }
    return null;
  }

  /** Sends {@code op} to replica {@code at} of {@code range}: through its read view or actor here, else remote. */
  private void readAt(
      RangeConfig range, Replica at, ReadOp op, Consumer<ReplicaActor.Reply> answer, long deadline) {
    ReplicaId replica = range.replicaId(at.slot());
    if (at.node().equals(selfNode) && locals.get(replica) != null) {
      NodeEndpoint.serveRead(locals, replica, range.epoch(), op, new Responder.Local(answer));
    } else {
      remote(at.node(), number -> new NodeEndpoint.Read(replica, range.epoch(), op, responder(number)),
          answer, deadline);
    }
  }

  CompletionStage<Result> scanDirect(byte[] from, byte[] to, int limit, Duration timeout) {
    List<KeyValue> all = new ArrayList<>();
    return scanSwitch(from, to, limit, timeout, all::addAll)
        .thenApply(r -> r instanceof Scanned ? new Scanned(List.copyOf(all)) : r);
  }

  /** Asks the tail of the cursor's next part, passes the entries on, and goes on until the cursor is done. */
  private CompletionStage<Result> scanFrom(ScanCursor cursor, Consumer<List<KeyValue>> sink, long deadline) {
    if (cursor.isDone()) {
      return CompletableFuture.completedFuture(new Scanned(List.of()));
    }
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return CompletableFuture.failedFuture(new TimeoutException("the scan's time ran out"));
    }
    RangeConfig range = cursor.nextPart().range();
    ReadOp.Scan request = cursor.nextRequest();
    CompletableFuture<ReplicaActor.Reply> reply = new CompletableFuture<>();
    readAt(range, range.tail(), request, reply::complete, deadline);
    // The sweeper does not know this request: bound it here.
    reply.orTimeout(Math.max(1, left), java.util.concurrent.TimeUnit.NANOSECONDS);
    return reply.thenCompose(
        r -> {
          if (r instanceof ReplicaActor.Entries entries) {
            List<KeyValue> got = entries.entries();
            counters.recordScan(range.rangeId(), range.tail().node(), bytesOf(got));
            if (!got.isEmpty()) {
              sink.accept(got);
            }
            ScanCursor next =
                entries.more() && !got.isEmpty()
                    ? cursor.afterPartialReply(got.size(), got.get(got.size() - 1).key())
                    : cursor.afterReply(got.size());
            return scanFrom(next, sink, deadline);
          }
          long pause = Math.min(REJECTED_PAUSE.toNanos(), deadline - System.nanoTime());
          if (r instanceof ReplicaActor.Rejected rejected && pause > 0) {
            stats.refused(rejected.reason());
            stats.refreshed();
            // A stale table, or a tail that cannot serve right now: look again a little later.
            CompletableFuture<Void> paused = new CompletableFuture<>();
            later(pause, () -> paused.complete(null));
            return paused
                .thenCompose(x -> refresh(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))))
                .thenCompose(newer -> scanFrom(cursor.replan(newer), sink, deadline));
          }
          return CompletableFuture.completedFuture(toResult(r));
        });
  }

  private static int bytesOf(List<KeyValue> entries) {
    long n = 0;
    for (KeyValue kv : entries) {
      n += kv.key().length + kv.value().length;
    }
    return (int) Math.min(Integer.MAX_VALUE, n);
  }

  /** The gateway's answer for what a replica said. */
  static Result toResult(ReplicaActor.Reply reply) {
    if (reply instanceof ReplicaActor.WriteDone d) {
      return new Written(d.result());
    }
    if (reply instanceof ReplicaActor.Value v) {
      return new Found(v.value());
    }
    if (reply instanceof ReplicaActor.Entries e) {
      return new Scanned(e.entries());
    }
    if (reply instanceof ReplicaActor.Failed f) {
      return new Failed(f.kind(), f.message());
    }
    if (reply instanceof ReplicaActor.Rejected r) {
      return new Unavailable("the range cannot be served right now (" + r.reason() + " at epoch " + r.epoch() + ")");
    }
    return new Unavailable("no replica could answer (" + reply + ")");
  }

  /** The replica's reply for a gateway answer (for a gateway that handed the request over). */
  static ReplicaActor.Reply toReply(Result result) {
    if (result instanceof Written w) {
      return new ReplicaActor.WriteDone(w.result());
    }
    if (result instanceof Found f) {
      return new ReplicaActor.Value(f.value());
    }
    if (result instanceof Scanned s) {
      return new ReplicaActor.Entries(s.entries(), false);
    }
    if (result instanceof Failed f) {
      return new ReplicaActor.Failed(f.kind(), f.message());
    }
    return new ReplicaActor.Rejected(ClientReply.Reason.NOT_IN_CHAIN, 0);
  }

  // -------------------------------------------------------------------------------- remote replicas

  /** A number and responder for an answer from another node. */
  private Responder.Remote responder(long number) {
    ActorRef<Responder.Answer> box = inbox;
    if (box == null) {
      throw new RouterUnavailableException("the gateway's inbox is not started yet");
    }
    return new Responder.Remote(box, number);
  }

  /** Sends a request to {@code node}'s endpoint; its answer, if one comes, goes to {@code answer}. */
  private void remote(
      String node,
      java.util.function.LongFunction<NodeEndpoint.Command> request,
      Consumer<ReplicaActor.Reply> answer,
      long deadline) {
    long number = numbers.incrementAndGet();
    expected.put(number, new Expected(answer, deadline));
    try {
      endpoint(node).tell(request.apply(number));
    } catch (RuntimeException e) {
      expected.remove(number);
      throw e;
    }
  }

  private ActorRef<NodeEndpoint.Command> endpoint(String node) {
    return endpoints.computeIfAbsent(node,
        n -> ActorRefResolver.get(system).resolveActorRef(n + NodeEndpoint.PATH));
  }

  // ---------------------------------------------------------------------------------------- retries

  /** One attempt: send the request for the key's range at that configuration; the answer goes to answer. */
  @FunctionalInterface
  private interface Attempt {
    void send(RangeConfig range, long deadline, Consumer<ReplicaActor.Reply> answer);
  }

  /**
   * Runs {@code attempt} for {@code key} on the current table until an answer or {@code timeout}. While
   * it waits, it sends the request again as soon as the key's range gets a new configuration in this
   * gateway's table (a repair after a replica died), and the first answer wins: a retried write is safe,
   * it carries the same request id, so the head applies it at most once. After a rejection (a stale
   * epoch, a replica that is not head or not in the chain, or one that cannot serve right now) it
   * refreshes the table from a majority and tries again.
   */
  private CompletionStage<Result> withRetry(Duration timeout, byte[] key, Attempt attempt) {
    CompletableFuture<Result> result = new CompletableFuture<>();
    Retrying r = new Retrying(System.nanoTime() + timeout.toNanos(), key, attempt, result);
    RoutingTable t = tables.find().orElse(null);
    if (t == null) {
      result.completeExceptionally(new RouterUnavailableException("no routing table yet"));
      return result;
    }
    r.send(t);
    if (!result.isDone()) {
      waiting.add(r);
      result.whenComplete((reply, error) -> waiting.remove(r));
    }
    return result;
  }

  /** Times out the requests whose deadline passed (one task for all, not a timer per request). */
  private void sweep() {
    long now = System.nanoTime();
    for (Retrying r : waiting) {
      if (now - r.deadline >= 0) {
        r.expire();
      }
    }
    // Answers that never came (a node died with the request): forget them after their deadline.
    expected.values().removeIf(e -> now - e.deadline() - SWEEP.toNanos() >= 0);
  }

  /** Runs {@code task} after {@code nanos} on the actor system's scheduler (a cheap timer wheel). */
  private void later(long nanos, Runnable task) {
    system.scheduler().scheduleOnce(Duration.ofNanos(nanos), task, system.executionContext());
  }

  /** One request's attempts (see {@link #withRetry}). */
  private final class Retrying {
    private final long deadline;
    private final byte[] key;
    private final Attempt attempt;
    private final CompletableFuture<Result> result;
    /** Attempts started; an answer from an older one than the newest still counts. */
    private int attempts;
    /** Attempts actually sent, and how many of them a replica refused (then none sequenced the write). */
    private int sent;
    private int refused;
    /** The configuration of the key's range the newest attempt went to (null: none sent yet). */
    private RangeConfig sentTo;

    Retrying(long deadline, byte[] key, Attempt attempt, CompletableFuture<Result> result) {
      this.deadline = deadline;
      this.key = key;
      this.attempt = attempt;
      this.result = result;
    }

    void retry(boolean refreshFirst) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        expire();
        return;
      }
      if (refreshFirst) {
        stats.refreshed();
      }
      CompletionStage<RoutingTable> table = refreshFirst
          ? refresh(Duration.ofNanos(left)).exceptionally(e -> tables.find().orElse(null))
          : CompletableFuture.completedFuture(tables.find().orElse(null));
      table.whenComplete((t, e) -> {
        if (t == null) {
          result.completeExceptionally(new RouterUnavailableException("no routing table yet"));
        } else {
          send(t);
        }
      });
    }

    synchronized void expire() {
      if (result.isDone()) {
        return;
      }
      stats.expired();
      if (sent > 0 && refused == sent) {
        // Every replica asked answered that it would not take it: nothing was sequenced.
        result.complete(new Unavailable("every replica asked refused the request before its deadline", true));
      } else {
        result.completeExceptionally(new TimeoutException("the request's time ran out"));
      }
    }

    synchronized void send(RoutingTable t) {
      if (result.isDone()) {
        return;
      }
      // The newest table: one taken after the caller read its table calls tableChanged after this.
      RoutingTable newest = tables.find().filter(x -> x.isNewerThan(t)).orElse(t);
      int n = ++attempts;
      sent++;
      sentTo = newest.lookup(key);
      try {
        attempt.send(sentTo, deadline, reply -> answered(n, reply));
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
      }
    }

    /** The gateway took a new table: send again if it changed the key's range since the last attempt. */
    synchronized void tableChanged(RoutingTable t) {
      if (result.isDone() || sentTo == null || deadline - System.nanoTime() <= 0) {
        return;
      }
      RangeConfig range = t.lookup(key);
      if (range.rangeId() != sentTo.rangeId() || range.epoch() != sentTo.epoch()) {
        stats.resent();
        send(t);
      }
    }

    private synchronized void answered(int n, ReplicaActor.Reply reply) {
      if (result.isDone()) {
        return;
      }
      boolean newest = n == attempts;
      if (reply instanceof ReplicaActor.AtTail) {
        if (newest) { // a replica asked to read here has the key in flight: the tail decides
          stats.toTail();
          readAt(sentTo, sentTo.tail(), new ReadOp.Get(key), r -> answered(n, r), deadline);
        }
        return;
      }
      if (reply instanceof ReplicaActor.Rejected rejected) {
        stats.refused(rejected.reason());
        refused++;
        if (!newest) {
          return; // a newer attempt is under way
        }
        if (deadline - System.nanoTime() > 0) {
          attempts++; // what is still in flight is stale now
          long pause = Math.max(0, Math.min(REJECTED_PAUSE.toNanos(), deadline - System.nanoTime()));
          later(pause, () -> retry(true));
          return;
        }
      }
      Result r = toResult(reply);
      if (r instanceof Unavailable u && refused == sent) {
        r = new Unavailable(u.why(), true);
      }
      result.complete(r);
    }
  }

  private CompletionStage<RoutingTable> refresh(Duration timeout) {
    return AskPattern.ask(keeper, TableKeeper.Refresh::new, timeout, system.scheduler());
  }

  private CompletionStage<Result> handOver(
      java.util.function.Function<ActorRef<ReplicaActor.Reply>, RouterActor.Command> message, Duration timeout) {
    List<ActorRef<RouterActor.Command>> all = peers.get();
    if (all.isEmpty()) {
      return CompletableFuture.failedFuture(new RouterUnavailableException("no router of any node known yet"));
    }
    ActorRef<RouterActor.Command> target = all.get(ThreadLocalRandom.current().nextInt(all.size()));
    return AskPattern.<RouterActor.Command, ReplicaActor.Reply>ask(target, message::apply, timeout, system.scheduler())
        .thenApply(Router::toResult);
  }

  private static int valueSize(WriteOp op) {
    if (op instanceof WriteOp.Put put) {
      return put.value().length;
    }
    if (op instanceof WriteOp.Cas cas) {
      return cas.newValue().length;
    }
    if (op instanceof WriteOp.CasSeq cas) {
      return cas.newValue().length;
    }
    return 0;
  }

  /** Unwraps a completion's failure. */
  static Throwable cause(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
  }
}
