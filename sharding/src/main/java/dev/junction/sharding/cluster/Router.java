package dev.junction.sharding.cluster;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.sharding.routing.LoadCounters;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.sharding.routing.ScanCursor;
import dev.junction.sharding.routing.TableHolder;
import dev.junction.store.KeyValue;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The gateway's router: TurboKV's switch, in software. It looks a key up in the node's routing table and
 * sends writes to the range's head and reads to its tail in one hop; it fans a scan out over the ranges it
 * covers, in key order, until the limit; on an answer that says its table is stale (a wrong epoch, or a
 * replica that is not head or tail) it refreshes the table from a majority and tries again; a request still
 * waiting when the key's range gets a new configuration (a repair) is sent again on the new table. It counts
 * requests and bytes per range and per node (the switch's counters).
 *
 * <p>In {@code server-driven} mode it instead hands each request to the router of a random node, which
 * routes it: that mode exists only to measure what one-hop routing saves.
 */
public final class Router {
  private final ActorSystem<?> system;
  private final ReplicaSharding replicas;
  private final TableHolder tables;
  private final ActorRef<TableKeeper.Command> keeper;
  private final ClusterSettings.RoutingMode mode;
  private final LoadCounters counters;
  private final AtomicReference<List<ActorRef<RouterActor.Command>>> peers = new AtomicReference<>(List.of());
  /** Requests waiting for a replica's answer: a new table may send them again (see {@link #withRetry}). */
  private final Set<Retrying> waiting = ConcurrentHashMap.newKeySet();

  public Router(
      ActorSystem<?> system,
      ReplicaSharding replicas,
      TableHolder tables,
      ActorRef<TableKeeper.Command> keeper,
      ClusterSettings.RoutingMode mode,
      LoadCounters counters) {
    this.system = system;
    this.replicas = replicas;
    this.tables = tables;
    this.keeper = keeper;
    this.mode = mode;
    this.counters = counters;
    tables.onNewTable(t -> waiting.forEach(r -> r.tableChanged(t)));
  }

  /** Where {@link RouterActor} keeps the other nodes' routers. */
  AtomicReference<List<ActorRef<RouterActor.Command>>> peers() {
    return peers;
  }

  public LoadCounters counters() {
    return counters;
  }

  /** The newest routing table this node knows. */
  public RoutingTable table() {
    return tables.find().orElseThrow(() -> new RouterUnavailableException("no routing table yet"));
  }

  // ------------------------------------------------------------------------------------- requests

  /** A write (put, delete, compare-and-set); answers {@link ReplicaActor.WriteDone} when committed. */
  public CompletionStage<ReplicaActor.Reply> write(RequestId id, WriteOp op, Duration timeout) {
    if (mode == ClusterSettings.RoutingMode.SERVER_DRIVEN) {
      return handOver(r -> new RouterActor.RouteWrite(id, op, timeout.toMillis(), r), timeout);
    }
    return writeDirect(id, op, timeout);
  }

  /** A read of one key; answers {@link ReplicaActor.Value}. */
  public CompletionStage<ReplicaActor.Reply> get(byte[] key, Duration timeout) {
    if (mode == ClusterSettings.RoutingMode.SERVER_DRIVEN) {
      return handOver(r -> new RouterActor.RouteGet(key, timeout.toMillis(), r), timeout);
    }
    return getDirect(key, timeout);
  }

  /** Up to {@code limit} entries of {@code [from, to)} in key order; answers {@link ReplicaActor.Entries}. */
  public CompletionStage<ReplicaActor.Reply> scan(byte[] from, byte[] to, int limit, Duration timeout) {
    if (mode == ClusterSettings.RoutingMode.SERVER_DRIVEN) {
      return handOver(r -> new RouterActor.RouteScan(from, to, limit, timeout.toMillis(), r), timeout);
    }
    return scanDirect(from, to, limit, timeout);
  }

  /**
   * A scan that hands each tail's answer to {@code sink} as it arrives, in key order, so that a caller can
   * stream a large result instead of holding it. Completes with an empty {@link ReplicaActor.Entries}
   * when every entry went to the sink, or with the failure that stopped the scan.
   */
  public CompletionStage<ReplicaActor.Reply> scanStreaming(
      byte[] from, byte[] to, int limit, Duration timeout, Consumer<List<KeyValue>> sink) {
    if (mode == ClusterSettings.RoutingMode.SERVER_DRIVEN) {
      return scan(from, to, limit, timeout)
          .thenApply(
              r -> {
                if (r instanceof ReplicaActor.Entries e) {
                  sink.accept(e.entries());
                  return new ReplicaActor.Entries(List.of(), false);
                }
                return r;
              });
    }
    return scanSwitch(from, to, limit, timeout, sink);
  }

  private CompletionStage<ReplicaActor.Reply> scanSwitch(
      byte[] from, byte[] to, int limit, Duration timeout, Consumer<List<KeyValue>> sink) {
    ScanCursor cursor;
    try {
      cursor = ScanCursor.start(table(), from, to, limit);
    } catch (RouterUnavailableException | IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return scanFrom(cursor, sink, System.nanoTime() + timeout.toNanos());
  }

  CompletionStage<ReplicaActor.Reply> writeDirect(RequestId id, WriteOp op, Duration timeout) {
    return withRetry(
        timeout,
        op.key(),
        (table, timeLeft) -> {
          RangeConfig range = table.lookup(op.key());
          counters.recordWrite(range.rangeId(), range.head().node(), op.key().length + valueSize(op));
          return ask(
              range.replicaId(range.head().slot()),
              r -> new ReplicaActor.ClientWrite(range.epoch(), id, op, r),
              timeLeft);
        });
  }

  CompletionStage<ReplicaActor.Reply> getDirect(byte[] key, Duration timeout) {
    return withRetry(
        timeout,
        key,
        (table, timeLeft) -> {
          RangeConfig range = table.lookup(key);
          counters.recordRead(range.rangeId(), range.tail().node(), key.length);
          return ask(
              range.replicaId(range.tail().slot()),
              r -> new ReplicaActor.ClientRead(range.epoch(), new ReadOp.Get(key), r),
              timeLeft);
        });
  }

  CompletionStage<ReplicaActor.Reply> scanDirect(byte[] from, byte[] to, int limit, Duration timeout) {
    List<KeyValue> all = new ArrayList<>();
    return scanSwitch(from, to, limit, timeout, all::addAll)
        .thenApply(r -> r instanceof ReplicaActor.Entries ? new ReplicaActor.Entries(List.copyOf(all), false) : r);
  }

  /** Asks the tail of the cursor's next part, passes the entries on, and goes on until the cursor is done. */
  private CompletionStage<ReplicaActor.Reply> scanFrom(
      ScanCursor cursor, Consumer<List<KeyValue>> sink, long deadline) {
    if (cursor.isDone()) {
      return CompletableFuture.completedFuture(new ReplicaActor.Entries(List.of(), false));
    }
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return CompletableFuture.failedFuture(new TimeoutException("the scan's time ran out"));
    }
    RangeConfig range = cursor.nextPart().range();
    ReadOp.Scan request = cursor.nextRequest();
    return ask(
            range.replicaId(range.tail().slot()),
            r -> new ReplicaActor.ClientRead(range.epoch(), request, r),
            Duration.ofNanos(left))
        .thenCompose(
            reply -> {
              if (reply instanceof ReplicaActor.Entries entries) {
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
              if (reply instanceof ReplicaActor.Rejected && pause > 0) {
                // A stale table, or a tail that cannot serve right now: look again a little later.
                CompletableFuture<Void> paused = new CompletableFuture<>();
                later(pause, () -> paused.complete(null));
                return paused
                    .thenCompose(x -> refresh(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))))
                    .thenCompose(newer -> scanFrom(cursor.replan(newer), sink, deadline));
              }
              return CompletableFuture.completedFuture(reply);
            });
  }

  private static int bytesOf(List<KeyValue> entries) {
    long n = 0;
    for (KeyValue kv : entries) {
      n += kv.key().length + kv.value().length;
    }
    return (int) Math.min(Integer.MAX_VALUE, n);
  }

  /** The pause before trying again after a replica said it cannot serve now (no lease, catching up). */
  static final Duration REJECTED_PAUSE = Duration.ofMillis(50);

  /**
   * Runs {@code attempt} for {@code key} on the current table until an answer or {@code timeout}. While
   * it waits, it sends the request again as soon as the key's range gets a new configuration in this
   * gateway's table (a repair after a replica died), and the first answer wins: a retried write is safe,
   * it carries the same request id, so the head applies it at most once. After a rejection (a stale
   * epoch, a replica that is not head or tail, or one that cannot serve right now) it refreshes the table
   * from a majority and tries again.
   */
  private CompletionStage<ReplicaActor.Reply> withRetry(
      Duration timeout, byte[] key, BiFunction<RoutingTable, Duration, CompletionStage<ReplicaActor.Reply>> attempt) {
    CompletableFuture<ReplicaActor.Reply> result = new CompletableFuture<>();
    Retrying r = new Retrying(System.nanoTime() + timeout.toNanos(), key, attempt, result);
    waiting.add(r);
    result.whenComplete((reply, error) -> waiting.remove(r));
    r.start(false);
    return result;
  }

  /** Runs {@code task} after {@code nanos} on the actor system's scheduler (a cheap timer wheel). */
  private void later(long nanos, Runnable task) {
    system.scheduler().scheduleOnce(Duration.ofNanos(nanos), task, system.executionContext());
  }

  /** One request's attempts (see {@link #withRetry}). */
  private final class Retrying {
    private final long deadline;
    private final byte[] key;
    private final BiFunction<RoutingTable, Duration, CompletionStage<ReplicaActor.Reply>> attempt;
    private final CompletableFuture<ReplicaActor.Reply> result;
    /** Attempts started; an answer from an older one than the newest still counts. */
    private int attempts;
    /** The configuration of the key's range the newest attempt went to (null: none sent yet). */
    private RangeConfig sentTo;

    Retrying(
        long deadline,
        byte[] key,
        BiFunction<RoutingTable, Duration, CompletionStage<ReplicaActor.Reply>> attempt,
        CompletableFuture<ReplicaActor.Reply> result) {
      this.deadline = deadline;
      this.key = key;
      this.attempt = attempt;
      this.result = result;
    }

    void start(boolean refreshFirst) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        result.completeExceptionally(new TimeoutException("the request's time ran out"));
        return;
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

    private synchronized void send(RoutingTable t) {
      if (result.isDone()) {
        return;
      }
      // The newest table: one taken after the caller read its table calls tableChanged after this.
      RoutingTable newest = tables.find().filter(x -> x.isNewerThan(t)).orElse(t);
      int n = ++attempts;
      long left = Math.max(1, deadline - System.nanoTime());
      sentTo = newest.lookup(key);
      attempt.apply(newest, Duration.ofNanos(left)).whenComplete((reply, error) -> answered(n, reply, error));
    }

    /** The gateway took a new table: send again if it changed the key's range since the last attempt. */
    synchronized void tableChanged(RoutingTable t) {
      if (result.isDone() || sentTo == null || deadline - System.nanoTime() <= 0) {
        return;
      }
      RangeConfig range = t.lookup(key);
      if (range.rangeId() != sentTo.rangeId() || range.epoch() != sentTo.epoch()) {
        send(t);
      }
    }

    private synchronized void answered(int n, ReplicaActor.Reply reply, Throwable error) {
      if (result.isDone()) {
        return;
      }
      boolean newest = n == attempts;
      boolean timeLeft = deadline - System.nanoTime() > 0;
      if (error != null) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (newest) {
          result.completeExceptionally(cause);
        }
        return;
      }
      if (reply instanceof ReplicaActor.Rejected) {
        if (!newest) {
          return; // a newer attempt is under way
        }
        if (timeLeft) {
          attempts++; // what is still in flight is stale now
          long pause = Math.max(0, Math.min(REJECTED_PAUSE.toNanos(), deadline - System.nanoTime()));
          later(pause, () -> start(true));
          return;
        }
      }
      result.complete(reply);
    }
  }

  private CompletionStage<RoutingTable> refresh(Duration timeout) {
    return AskPattern.ask(keeper, TableKeeper.Refresh::new, timeout, system.scheduler());
  }

  private CompletionStage<ReplicaActor.Reply> ask(
      ReplicaId replica,
      java.util.function.Function<ActorRef<ReplicaActor.Reply>, ReplicaActor.Command> message,
      Duration timeout) {
    return replicas.replica(replica).ask(message::apply, timeout);
  }

  private CompletionStage<ReplicaActor.Reply> handOver(
      java.util.function.Function<ActorRef<ReplicaActor.Reply>, RouterActor.Command> message,
      Duration timeout) {
    List<ActorRef<RouterActor.Command>> all = peers.get();
    if (all.isEmpty()) {
      return CompletableFuture.failedFuture(new RouterUnavailableException("no router of any node known yet"));
    }
    ActorRef<RouterActor.Command> target = all.get(ThreadLocalRandom.current().nextInt(all.size()));
    return AskPattern.ask(target, message::apply, timeout, system.scheduler());
  }

  private static int valueSize(WriteOp op) {
    if (op instanceof WriteOp.Put put) {
      return put.value().length;
    }
    if (op instanceof WriteOp.Cas cas) {
      return cas.newValue().length;
    }
    return 0;
  }
}
