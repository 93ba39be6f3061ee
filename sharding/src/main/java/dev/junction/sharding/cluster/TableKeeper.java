package dev.junction.sharding.cluster;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.chain.serialization.JunctionSerializable;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.sharding.routing.TableHolder;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWRegister;
import org.apache.pekko.cluster.ddata.LWWRegisterKey;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

/**
 * The node's copy of the routing table (the gateway's match-action table). It follows the table the
 * controller publishes through Distributed Data, applies versions in order into a {@link TableHolder},
 * and tells the replicas hosted here when their range's configuration changed. {@link Refresh} reads the
 * table from a majority, for a router that met a stale epoch; {@link Stale} does the same for a replica
 * whose peer spoke at an epoch this node's table does not know yet.
 *
 * <p>Why {@link Stale}: the controller's write reaches a majority of the nodes; the others learn the
 * table by gossip, up to seconds later (Distributed Data's gossip interval), and a replica there drops
 * every message of its chain's new epoch meanwhile, so the range's writes stall. Its peers' messages
 * say so at once. And {@link Announced}: the controller tells every other node that a table is out as soon
 * as a majority holds it, so a node left out of the write reads it at once, before any peer or client
 * meets the new epoch (at a split, the new ranges' replicas there start with the others, not a round
 * trip of their chain later).
 */
public final class TableKeeper extends AbstractBehavior<TableKeeper.Command> {
  /** The Distributed Data key of the routing table (durable: see reference.conf). */
  public static final Key<LWWRegister<PublishedTable>> KEY = LWWRegisterKey.create("junction-routing-table");

  /** The keeper's name under the system guardian. */
  public static final String NAME = "table-keeper";

  /** The keeper's path on a node: {@code <node address>/system/table-keeper}; the controller announces to it. */
  public static final String PATH = "/system/" + NAME;

  /** What the keeper receives (all local to the node, but {@link Announced}). */
  public sealed interface Command permits Subscribe, Refresh, Stale, Announced, Changed, Fetched, Unsubscribe {}

  /** Tell {@code replica} about changes of {@code rangeId}. */
  public record Subscribe(long rangeId, ActorRef<ReplicaActor.Command> replica) implements Command {}

  /** Read the table from a majority and answer with the newest known. */
  public record Refresh(ActorRef<RoutingTable> replyTo) implements Command {}

  /**
   * A replica here met a peer of range {@code rangeId} at {@code epoch}: read the table from a majority
   * unless it already holds that epoch or a read is under way.
   */
  public record Stale(long rangeId, long epoch) implements Command {}

  /**
   * From the controller: a majority holds table {@code version}. A node whose table is older reads it
   * from a majority at once (which any majority then answers with it) instead of waiting for gossip.
   */
  public record Announced(long version) implements Command, JunctionSerializable {}

  private record Changed(Replicator.SubscribeResponse<LWWRegister<PublishedTable>> response)
      implements Command {}

  /** A majority's table; {@code replyTo} is null for a read made for {@link Stale}. */
  private record Fetched(Replicator.GetResponse<LWWRegister<PublishedTable>> response, ActorRef<RoutingTable> replyTo)
      implements Command {}

  private record Unsubscribe(ActorRef<ReplicaActor.Command> replica) implements Command {}

  private final TableHolder holder;
  private final Consumer<List<String>> draining;
  private final Duration readTimeout;
  private final ReplicatorMessageAdapter<Command, LWWRegister<PublishedTable>> replicator;
  private final Map<Long, Set<ActorRef<ReplicaActor.Command>>> subscribers = new HashMap<>();
  /** Whether a read for {@link Stale} or {@link Announced} is under way. */
  private boolean staleRead;
  /** The newest version announced while that read was under way (it may answer an older table): 0 for none. */
  private long announcedMeanwhile;
  /** The reads {@link Stale} started, since the node started (a metric). */
  private final LongAdder staleReads;

  private TableKeeper(
      ActorContext<Command> context,
      ReplicatorMessageAdapter<Command, LWWRegister<PublishedTable>> replicator,
      TableHolder holder,
      Consumer<List<String>> draining,
      Duration readTimeout,
      LongAdder staleReads) {
    super(context);
    this.staleReads = staleReads;
    this.replicator = replicator;
    this.holder = holder;
    this.draining = draining;
    this.readTimeout = readTimeout;
    replicator.subscribe(KEY, Changed::new);
  }

  /**
   * A keeper that applies the published tables to {@code holder} and gives {@code draining} the nodes
   * being drained with each table that is not older than the one held; it counts in {@code staleReads}
   * the majority reads that {@link Stale} starts.
   */
  public static Behavior<Command> create(TableHolder holder, Consumer<List<String>> draining, Duration readTimeout,
      LongAdder staleReads) {
    return Behaviors.setup(
        ctx ->
            DistributedData.<Command, LWWRegister<PublishedTable>>withReplicatorMessageAdapter(
                replicator -> new TableKeeper(ctx, replicator, holder, draining, readTimeout, staleReads)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, this::onUnsubscribe)
        .onMessage(Refresh.class, this::onRefresh)
        .onMessage(Stale.class, this::onStale)
        .onMessage(Announced.class, this::onAnnounced)
        .onMessage(Changed.class, this::onChanged)
        .onMessage(Fetched.class, this::onFetched)
        .build();
  }

  private Behavior<Command> onSubscribe(Subscribe s) {
    if (subscribers.computeIfAbsent(s.rangeId(), id -> new HashSet<>()).add(s.replica())) {
      getContext().watchWith(s.replica(), new Unsubscribe(s.replica()));
    }
    holder.find().flatMap(t -> t.range(s.rangeId()))
        .ifPresent(c -> s.replica().tell(new ReplicaActor.ConfigChanged(c)));
    return this;
  }

  private Behavior<Command> onUnsubscribe(Unsubscribe u) {
    subscribers.values().forEach(set -> set.remove(u.replica()));
    return this;
  }

  private Behavior<Command> onRefresh(Refresh r) {
    readMajority(r.replyTo());
    return this;
  }

  /** Reads the table from a majority; the answer comes back as {@link Fetched} for {@code replyTo}. */
  private void readMajority(ActorRef<RoutingTable> replyTo) {
    replicator.askGet(
        askReplyTo -> new Replicator.Get<>(KEY, new Replicator.ReadMajority(readTimeout), askReplyTo),
        response -> new Fetched(response, replyTo));
  }

  private Behavior<Command> onStale(Stale s) {
    boolean known = holder.find().flatMap(t -> t.range(s.rangeId())).filter(c -> c.epoch() >= s.epoch()).isPresent();
    if (known || staleRead) {
      return this;
    }
    staleReads.increment();
    getContext().getLog().debug("range {} is at epoch {} elsewhere: reading the table from a majority",
        s.rangeId(), s.epoch());
    readNewer();
    return this;
  }

  private Behavior<Command> onAnnounced(Announced a) {
    if (heldVersion() >= a.version()) {
      return this;
    }
    if (staleRead) {
      announcedMeanwhile = Math.max(announcedMeanwhile, a.version());
      return this;
    }
    readNewer();
    return this;
  }

  /** Reads the table from a majority for {@link Stale} or {@link Announced}: one such read at a time. */
  private void readNewer() {
    staleRead = true;
    readMajority(null);
  }

  private long heldVersion() {
    return holder.find().map(RoutingTable::version).orElse(-1L);
  }

  private Behavior<Command> onChanged(Changed c) {
    if (c.response() instanceof Replicator.Changed<LWWRegister<PublishedTable>> changed) {
      offer(changed.get(KEY).getValue());
    }
    return this;
  }

  private Behavior<Command> onFetched(Fetched f) {
    if (f.response() instanceof Replicator.GetSuccess<LWWRegister<PublishedTable>> ok) {
      offer(ok.get(KEY).getValue());
    }
    if (f.replyTo() == null) {
      staleRead = false;
      if (announcedMeanwhile > heldVersion()) {
        readNewer(); // once more: that read may have begun before a majority held the announced table
      }
      announcedMeanwhile = 0;
    } else {
      holder.find().ifPresent(t -> f.replyTo().tell(t));
    }
    return this;
  }

  private void offer(PublishedTable published) {
    RoutingTable before = holder.find().orElse(null);
    RoutingTable table = published.toTable();
    if (before == null || table.version() >= before.version()) {
      draining.accept(published.draining());
    }
    if (!holder.offer(table)) {
      return;
    }
    getContext().getLog().info("routing table version {} ({} ranges)", table.version(), table.size());
    for (RangeConfig range : table.ranges()) {
      Optional<RangeConfig> old = before == null ? Optional.empty() : before.range(range.rangeId());
      if (old.isEmpty() || !old.get().equals(range)) {
        for (ActorRef<ReplicaActor.Command> r : subscribers.getOrDefault(range.rangeId(), Set.of())) {
          r.tell(new ReplicaActor.ConfigChanged(range));
        }
      }
    }
  }
}
