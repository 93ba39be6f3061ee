package dev.junction.chain.replica;

import dev.junction.chain.core.Answered;
import dev.junction.chain.core.ReadView;
import dev.junction.chain.core.ReplicaId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The replicas serving on this node, for the node's gateway: a request for one of them is handed to its
 * actor directly (no sharding lookup, no serialization), and a read is answered on the caller's thread
 * through the replica's {@link ReadView} and store. Thread-safe.
 */
public final class LocalReplicas {
  /**
   * One serving replica: its actor, its read view, its store, and its range's interval {@code [start,
   * end)} (an empty end is open; a range id's interval never changes).
   */
  public record Handle(
      ReplicaId id, ActorRef<ReplicaActor.Command> ref, ReadView view, ReplicaStore store, byte[] start, byte[] end) {}

  private final ConcurrentHashMap<ReplicaId, Handle> serving = new ConcurrentHashMap<>();
  private final WriteTimings timings = new WriteTimings();
  private final Leftovers leftovers;

  /** A registry whose replicas leave their data behind when they leave their chains (tests). */
  public LocalReplicas() {
    this(Leftovers.none());
  }

  /** A registry whose replicas hand what they leave behind to {@code leftovers}. */
  public LocalReplicas(Leftovers leftovers) {
    this.leftovers = leftovers;
  }

  /**
   * Since when replicas on this node (this JVM) have run the write path, on the monotonic clock: the
   * first call (a replica's core starting, or a copy starting to follow its chain) sets it to {@code
   * now}, every call returns it. A copy follows its chain until {@code junction.chain.follow-before-join}
   * after that: a new node's first copies follow that long, while its JVM compiles the write path;
   * copies to a node that has served replicas that long join once they caught up.
   */
  public long replicaWorkSince(long now) {
    return replicaWorkSince.updateAndGet(t -> t == NEVER ? now : t);
  }

  private static final long NEVER = Long.MIN_VALUE;
  private final java.util.concurrent.atomic.AtomicLong replicaWorkSince =
      new java.util.concurrent.atomic.AtomicLong(NEVER);

  /**
   * Notes that sharding started replica {@code id} on this node while its chain places it on another (the
   * controller had not told sharding where it runs yet): it serves nothing here until sharding moves it,
   * which it does only at its next rebalance. The last {@value #MISPLACED_KEPT} are kept.
   */
  public void misplacedStart(ReplicaId id) {
    misplacedCount.incrementAndGet();
    synchronized (misplaced) {
      misplaced.addLast(id);
      if (misplaced.size() > MISPLACED_KEPT) {
        misplaced.removeFirst();
      }
    }
  }

  /** How many replicas sharding started on this node away from their chains' node ({@link #misplacedStart}). */
  public long misplacedStarts() {
    return misplacedCount.get();
  }

  /** The last replicas started here away from their chains' node, oldest first. */
  public List<ReplicaId> misplaced() {
    synchronized (misplaced) {
      return List.copyOf(misplaced);
    }
  }

  static final int MISPLACED_KEPT = 64;
  private final java.util.ArrayDeque<ReplicaId> misplaced = new java.util.ArrayDeque<>();
  private final java.util.concurrent.atomic.AtomicLong misplacedCount = new java.util.concurrent.atomic.AtomicLong();

  /** Where replicas claim their intervals and leave their data when they leave their chains. */
  public Leftovers leftovers() {
    return leftovers;
  }

  /** The times of the writes this node's heads sequence (for the node's metrics). */
  public WriteTimings timings() {
    return timings;
  }

  public Optional<Handle> find(ReplicaId id) {
    return Optional.ofNullable(serving.get(id));
  }

  /** The handle of {@code id}, or null. */
  public Handle get(ReplicaId id) {
    return serving.get(id);
  }

  void register(Handle h) {
    serving.put(h.id(), h);
  }

  /** Forgets {@code h} unless a newer incarnation replaced it. */
  void unregister(Handle h) {
    serving.remove(h.id(), h);
  }

  /**
   * Retires ({@link ReadView#retire}) the replicas of other ranges serving here whose interval overlaps
   * {@code [start, end)}: a range that starts on this node with these keys (split or merged from them)
   * takes over, and they must answer no read any more. Returns how many it retired.
   */
  int retireOverlapping(long rangeId, byte[] start, byte[] end) {
    int n = 0;
    for (Handle h : serving.values()) {
      if (h.id().rangeId() != rangeId && dev.junction.store.Keys.overlap(h.start(), h.end(), start, end)
          && !h.view().retired()) {
        h.view().retire();
        n++;
      }
    }
    return n;
  }

  /**
   * Hands on what the replica of range {@code rangeId} on this node answered ({@link
   * dev.junction.chain.core.ChainReplica#answered}), once its range's ending committed, to the replicas of
   * the ranges that take over its keys here: they start from it instead of reading the ended range's
   * stored log (~10,000 records, 50-150 ms while the range's writes wait). Kept {@value #HANDED_OVER_SECONDS}
   * s: a replica that starts later (a restart) reads the log.
   */
  public void handOver(long rangeId, List<Answered> answered) {
    long now = System.nanoTime();
    handedOver.values().removeIf(h -> now - h.at() > TimeUnit.SECONDS.toNanos(HANDED_OVER_SECONDS));
    handedOver.put(rangeId, new HandedOver(now, List.copyOf(answered)));
  }

  /** What the replica of the ended range {@code rangeId} on this node {@linkplain #handOver handed on}. */
  public Optional<List<Answered>> handedOver(long rangeId) {
    return Optional.ofNullable(handedOver.get(rangeId)).map(HandedOver::answered);
  }

  private static final long HANDED_OVER_SECONDS = 60;

  private record HandedOver(long at, List<Answered> answered) {}

  private final ConcurrentHashMap<Long, HandedOver> handedOver = new ConcurrentHashMap<>();

  /** The replicas serving here now (a copy). */
  public List<Handle> all() {
    return List.copyOf(serving.values());
  }

  public int size() {
    return serving.size();
  }
}
