package dev.junction.chain.replica;

import dev.junction.store.Keys;
import dev.junction.store.StoreClosedException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data that replicas which left their chains leave in this node's store, wiped in the background.
 *
 * <p>The node's store holds the keys of every range it serves side by side, so a replica moved off the
 * node (a rebalance, a drain, a repair that replaced it) would otherwise leave its range's keys, metadata
 * and log behind for good: disk that no replica uses and no statistic shows. When a replica leaves its
 * chain it {@link #schedule}s its interval here; after {@code delay}, one thread deletes it in chunks of
 * {@link ReplicaStore#WIPE_CHUNK} keys through the write-ahead log (see {@link ReplicaStore#wipeChunk}),
 * pausing {@link #PAUSE} between chunks so that the node's own writes go first, then drops the range's
 * metadata and log.
 *
 * <p>Safety: the keys may already belong to another replica on this node (the range moved back, or a
 * range split or merged from it was copied here). Every replica that serves or copies here holds a
 * {@link #claim} on its interval from the moment it starts (before a copy's first write) until it stops,
 * and the routing table is asked too ({@link #placedHere}): before each chunk, under the lock that
 * {@link #claim} takes, a wipe whose interval overlaps a claim or a range the table places on this node
 * stops and leaves the rest (a copy here wipes its own interval first anyway). A chunk and a claim
 * exclude each other, so no copy's write can fall between the check and the deletes.
 *
 * <p>What no replica schedules (a wipe that a crash or stop cut off, a replica removed while its node was
 * down, the log and metadata of a range that split or merged once no successor of it is left here) a
 * periodic sweep finds from the store's range metadata and the routing table ({@link #every}, run by the
 * node, see {@code DeadReplicas} in the sharding module), and schedules the same way.
 */
public final class Leftovers implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Leftovers.class);
  /** Pause between two chunks of one wipe. */
  static final Duration PAUSE = Duration.ofMillis(50);

  private record Claim(byte[] start, byte[] end) {}

  private final Duration delay;
  private final ScheduledExecutorService thread;
  private final Object lock = new Object();
  private final Map<Long, Claim> claims = new HashMap<>();
  /** Ranges whose wipe is scheduled or under way (one at a time per range). */
  private final Set<Long> pending = ConcurrentHashMap.newKeySet();
  private long nextToken = 1;
  private volatile BiPredicate<byte[], byte[]> placedHere = (start, end) -> false;
  private final LongAdder wipedKeys = new LongAdder();
  private final LongAdder wipedRanges = new LongAdder();
  private final LongAdder keptRanges = new LongAdder();

  /**
   * @param delay how long after a replica left its chain its data is wiped; null: never (tests that
   *     look at what a replica left)
   */
  public Leftovers(Duration delay) {
    this.delay = delay;
    this.thread = delay == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "junction-leftovers");
      t.setDaemon(true);
      return t;
    });
  }

  /** A registry that wipes nothing: claims are kept, schedules dropped. */
  public static Leftovers none() {
    return new Leftovers(null);
  }

  /**
   * Tells which intervals the node's routing table places on this node: {@code test(start, end)} is true
   * when a range of the table that overlaps {@code [start, end)} has a replica here.
   */
  public void placedHere(BiPredicate<byte[], byte[]> test) {
    this.placedHere = test;
  }

  /**
   * A replica serves or copies {@code [start, end)} here (an empty end is open): no wipe touches it
   * until {@link #release}. Waits while a wipe deletes a chunk (milliseconds).
   */
  public long claim(byte[] start, byte[] end) {
    synchronized (lock) {
      long token = nextToken++;
      claims.put(token, new Claim(start, end));
      return token;
    }
  }

  /**
   * Whether {@code [start, end)} is in use here now (claimed, or placed here by the table): a sweep
   * schedules no wipe of it then (it would only stop at once).
   */
  public boolean inUseNow(byte[] start, byte[] end) {
    synchronized (lock) {
      return inUse(start, end) != null;
    }
  }

  public void release(long token) {
    synchronized (lock) {
      claims.remove(token);
    }
  }

  /**
   * Replica {@code what} left its chain: its data of {@code [start, end)} in {@code store} goes after the
   * delay. False when a wipe of the same range is already scheduled or under way here (nothing added).
   */
  public boolean schedule(ReplicaStore store, String what, byte[] start, byte[] end) {
    if (thread == null || !pending.add(store.rangeId())) {
      return false;
    }
    try {
      thread.schedule(() -> chunk(store, what, start, end, start, 0), delay.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (RejectedExecutionException e) {
      pending.remove(store.rangeId());
      log.debug("replica {}: no wipe, the node is stopping", what);
      return false;
    }
  }

  /**
   * Runs {@code sweep} on the wiping thread every {@code period}, first after one period: for a check that
   * finds what no replica scheduled (see the class comment).
   */
  public void every(Duration period, Runnable sweep) {
    if (thread == null) {
      return;
    }
    try {
      thread.scheduleWithFixedDelay(() -> {
        try {
          sweep.run();
        } catch (StoreClosedException e) {
          // the node stops
        } catch (RuntimeException e) {
          log.warn("looking for what replicas left in this node's store failed: {}", e.toString());
        }
      }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the node stops
    }
  }

  private void chunk(ReplicaStore store, String what, byte[] start, byte[] end, byte[] from, long deleted) {
    boolean goOn = false;
    try {
      goOn = step(store, what, start, end, from, deleted);
    } finally {
      if (!goOn) {
        pending.remove(store.rangeId());
      }
    }
  }

  /** One chunk; true when the next one is scheduled. */
  private boolean step(ReplicaStore store, String what, byte[] start, byte[] end, byte[] from, long deleted) {
    ReplicaStore.Chunk c;
    try {
      synchronized (lock) {
        String why = inUse(start, end);
        if (why != null) {
          keptRanges.increment();
          log.info("replica {} left its chain; {} of its keys wiped here, the rest kept: {}", what, deleted, why);
          return false;
        }
        c = store.wipeChunk(from, end);
        if (c.next() == null) {
          store.forget();
        }
      }
    } catch (StoreClosedException e) {
      return false; // the node stops
    } catch (RuntimeException e) {
      log.warn("replica {} left its chain; wiping its data here failed after {} keys: {}", what, deleted, e.toString());
      return false;
    }
    wipedKeys.add(c.deleted());
    long total = deleted + c.deleted();
    if (c.next() == null) {
      wipedRanges.increment();
      log.info("replica {} left its chain; its data here is wiped ({} keys)", what, total);
      return false;
    }
    try {
      thread.schedule(() -> chunk(store, what, start, end, c.next(), total), PAUSE.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (RejectedExecutionException e) {
      log.debug("replica {}: wipe stopped after {} keys, the node is stopping", what, total);
      return false;
    }
  }

  /** Why {@code [start, end)} must stay (null: it may go). Under {@link #lock}. */
  private String inUse(byte[] start, byte[] end) {
    for (Claim c : claims.values()) {
      if (Keys.overlap(c.start(), c.end(), start, end)) {
        return "another replica on this node serves or copies keys of its interval";
      }
    }
    if (placedHere.test(start, end)) {
      return "the routing table places a range with keys of its interval on this node";
    }
    return null;
  }

  /** Keys deleted by wipes since the node started. */
  public long wipedKeys() {
    return wipedKeys.sum();
  }

  /** Wipes finished since the node started. */
  public long wipedRanges() {
    return wipedRanges.sum();
  }

  /** Wipes that stopped because the keys were in use again. */
  public long keptRanges() {
    return keptRanges.sum();
  }

  /** Stops the wipes (those under way stop after their current chunk); call before the store closes. */
  @Override
  public void close() {
    if (thread == null) {
      return;
    }
    thread.shutdownNow();
    try {
      thread.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
