package dev.junction.chain.core;

import dev.junction.store.KeyValue;
import dev.junction.store.Keys;
import dev.junction.store.Versioned;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * What one replica publishes so that reads are answered on the caller's thread, without a trip through
 * the replica's mailbox: where the replica stands (member, tail, in sync, read lease) and which keys have a
 * write that is not committed yet. It follows CRAQ (Terrace &amp; Freedman, ATC 2009), adapted to a store
 * that keeps one version per key:
 *
 * <ul>
 *   <li>A key with no write in flight here is <i>clean</i>: the store holds its committed value, and any
 *       replica of the chain that holds a read lease answers it. (Every committed write passed through
 *       every replica, and a replica marks a key dirty before its write reaches the store, so a clean key
 *       at this replica has no newer committed value anywhere.)
 *   <li>A key with a write in flight is <i>dirty</i>: the store may already hold the uncommitted value.
 *       A replica that is not the tail sends such a read to the tail ({@link Outcome#ASK_TAIL}); the tail,
 *       which decides what is committed, answers with the value of the newest committed write, which the
 *       view keeps for exactly that. After a restart that value is unknown until the first write in flight
 *       commits; the tail then refuses as {@code CATCHING_UP} (the caller retries).
 * </ul>
 *
 * <p>A read is checked against the view <i>after</i> the store was read: a write that reached the store
 * in between was marked dirty before, so it is seen. Thread-safe: the replica's protocol core ({@link
 * ChainReplica}, on one thread) updates it, any thread reads it.
 */
public final class ReadView {
  /** Where the replica stands; replaced as a whole. */
  record Standing(long epoch, boolean member, boolean tail, boolean synced, boolean leased, long leaseUntil) {
    boolean leaseRuns(long now) {
      return leased && now - leaseUntil < 0;
    }
  }

  /**
   * A key with a write in flight: the value of its newest committed write (null when absent), whether that
   * value is known, and the newest sequence number in flight for it.
   */
  record Dirty(Versioned committed, boolean known, long newestSeq) {}

  /** What a read gets. */
  public sealed interface Outcome permits Value, Refused, AskTail {
    /** Not the tail, and the key has a write in flight: read at the tail. */
    Outcome ASK_TAIL = AskTail.INSTANCE;
  }

  /** The committed value (null: the key is absent). */
  public record Value(Versioned value) implements Outcome {}

  /** The replica cannot answer now; {@code epoch} is its own. */
  public record Refused(ClientReply.Reason reason, long epoch) implements Outcome {}

  /** See {@link Outcome#ASK_TAIL}. */
  public enum AskTail implements Outcome {
    INSTANCE
  }

  /** A scan page after the view's corrections. */
  public record Page(List<KeyValue> entries, boolean more) {}

  private volatile Standing standing;
  /** Set once a range that took over this one's keys started on this node: see {@link #retire}. */
  private volatile boolean retired;
  private final ConcurrentHashMap<ByteBuffer, Dirty> dirty = new ConcurrentHashMap<>();

  ReadView(long epoch) {
    this.standing = new Standing(epoch, false, false, false, false, 0);
  }

  // ------------------------------------------------------------------------------------------ reads

  /**
   * A read of {@code key} by a caller whose routing table has {@code epoch} for the range, at {@code now}
   * (the shell's monotonic clock): {@code store} reads the replica's store.
   */
  public Outcome get(long epoch, byte[] key, long now, Function<byte[], Optional<Versioned>> store) {
    Standing s = standing;
    Refused refused = check(s, epoch, now);
    if (refused != null) {
      return refused;
    }
    Versioned stored = store.apply(key).orElse(null);
    if (retired) {
      // Checked after the store read: a newer range's write that reached the store is seen here.
      return new Refused(ClientReply.Reason.NOT_IN_CHAIN, s.epoch());
    }
    Dirty d = dirty.get(ByteBuffer.wrap(key));
    if (d == null) {
      return new Value(stored);
    }
    if (!s.tail()) {
      return Outcome.ASK_TAIL;
    }
    return d.known() ? new Value(d.committed()) : new Refused(ClientReply.Reason.CATCHING_UP, s.epoch());
  }

  /**
   * Null when the replica may answer from its own state at {@code now} (in the chain, in sync, holding its
   * read lease), else why not: the check for a {@link ClientReply.Observed} answer.
   */
  public Refused checkOwn(long now) {
    Standing s = standing;
    return check(s, s.epoch(), now);
  }

  /** Null when the replica may serve a scan now (it must be the tail), else why not. */
  public Refused checkScan(long epoch, long now) {
    Standing s = standing;
    Refused refused = check(s, epoch, now);
    if (refused == null && !s.tail()) {
      return new Refused(ClientReply.Reason.NOT_TAIL, s.epoch());
    }
    return refused;
  }

  private Refused check(Standing s, long epoch, long now) {
    if (!s.member() || retired) {
      return new Refused(ClientReply.Reason.NOT_IN_CHAIN, s.epoch());
    }
    if (epoch > s.epoch()) {
      return new Refused(ClientReply.Reason.WRONG_EPOCH, s.epoch()); // the caller knows a newer configuration
    }
    if (!s.leaseRuns(now)) {
      return new Refused(ClientReply.Reason.NO_LEASE, s.epoch());
    }
    if (!s.synced()) {
      return new Refused(ClientReply.Reason.CATCHING_UP, s.epoch());
    }
    return null;
  }

  /**
   * Corrects a page the tail's store answered for a scan of {@code [from, to)} (an empty {@code to} is
   * open) limited to {@code limit} entries: every key with a write in flight gets its committed value (or
   * goes, if it was absent); keys beyond the page's last key are left to the next page when the store said
   * there is more. Null when a key in the page's span has no known committed value (after a restart): the
   * scan must wait. The page may come out shorter than the store's, even empty while {@code more} holds:
   * the caller then asks the store again after the last key it read.
   */
  public Page overlay(List<KeyValue> stored, boolean more, byte[] from, byte[] to, int limit) {
    if (retired) {
      return null; // a newer range holds these keys now (see retire): the caller asks again
    }
    if (dirty.isEmpty()) {
      return new Page(stored, more);
    }
    byte[] last = more && !stored.isEmpty() ? stored.get(stored.size() - 1).key() : null;
    TreeMap<byte[], KeyValue> merged = null;
    for (Map.Entry<ByteBuffer, Dirty> e : dirty.entrySet()) {
      byte[] key = e.getKey().array();
      if (Keys.compare(key, from) < 0 || to.length > 0 && Keys.compare(key, to) >= 0
          || last != null && Keys.compare(key, last) > 0) {
        continue;
      }
      Dirty d = e.getValue();
      if (!d.known()) {
        return null;
      }
      if (merged == null) {
        merged = new TreeMap<>(Keys::compare);
        for (KeyValue kv : stored) {
          merged.put(kv.key(), kv);
        }
      }
      if (d.committed() == null) {
        merged.remove(key);
      } else {
        merged.put(key, new KeyValue(key, d.committed().value(), d.committed().seq()));
      }
    }
    if (merged == null) {
      return new Page(stored, more);
    }
    List<KeyValue> out = new ArrayList<>(Math.min(merged.size(), limit));
    for (KeyValue kv : merged.values()) {
      if (out.size() == limit) {
        return new Page(out, true);
      }
      out.add(kv);
    }
    return new Page(out, more);
  }

  /**
   * This replica's range was split or merged and a range that took over some of its keys started on this
   * node, whose writes go to the same store: from now on this view answers no read (not even one that
   * checked before and read the store after). Any thread; for good. Because every replica of the new
   * range retires the old ones on its node before it starts, and a write of the new range commits only
   * once every replica of its chain holds it, no old replica answers a read after such a write committed.
   */
  public void retire() {
    retired = true;
  }

  /** Whether {@link #retire} was called. */
  public boolean retired() {
    return retired;
  }

  // ------------------------------------------------------------------------ updates (core thread)

  void publish(long epoch, boolean member, boolean tail, boolean synced, boolean leased, long leaseUntil) {
    Standing s = standing;
    if (s.epoch() != epoch || s.member() != member || s.tail() != tail || s.synced() != synced
        || s.leased() != leased || s.leaseUntil() != leaseUntil) {
      standing = new Standing(epoch, member, tail, synced, leased, leaseUntil);
    }
  }

  /**
   * Entry {@code e} was accepted here and is not committed: its key is dirty from now on (before the entry
   * reaches the store). {@code committedValue} reads the key's committed value from the store; it is
   * called only when the key was clean, so the store holds exactly that, and only at the tail, the one
   * replica that answers a dirty key itself (a read per write saved at the others). A replica that becomes
   * the tail while the key is still dirty then does not know its committed value and answers {@code
   * CATCHING_UP} until the key's writes commit, as after a restart.
   */
  void inFlight(LogEntry e, Function<byte[], Optional<Versioned>> committedValue) {
    if (!e.changesData()) {
      return;
    }
    ByteBuffer key = ByteBuffer.wrap(e.mutation().key());
    Dirty d = dirty.get(key);
    Standing s = standing;
    if (d == null && !(s.tail() && s.synced())) {
      // Only a tail in sync holds the committed state in its store: a new tail still catching up holds
      // an older state, and the entries it receives may be committed already (their clients answered).
      dirty.put(key, new Dirty(null, false, e.seq()));
    } else if (d == null) {
      dirty.put(key, new Dirty(committedValue.apply(e.mutation().key()).orElse(null), true, e.seq()));
    } else {
      dirty.put(key, new Dirty(d.committed(), d.known(), Math.max(d.newestSeq(), e.seq())));
    }
  }

  /** Entry {@code e}, recovered from the store after a restart, may not be committed: its key is dirty. */
  void recoveredInFlight(LogEntry e) {
    if (!e.changesData()) {
      return;
    }
    ByteBuffer key = ByteBuffer.wrap(e.mutation().key());
    Dirty d = dirty.get(key);
    dirty.put(key, new Dirty(null, false, d == null ? e.seq() : Math.max(d.newestSeq(), e.seq())));
  }

  /**
   * Entry {@code e} committed (entries commit in sequence order, each durable here): its value is the
   * key's committed value, and the key is clean once its newest write in flight committed.
   */
  void committed(LogEntry e) {
    if (!e.changesData()) {
      return;
    }
    ByteBuffer key = ByteBuffer.wrap(e.mutation().key());
    Dirty d = dirty.get(key);
    if (d == null) {
      return;
    }
    if (d.newestSeq() <= e.seq()) {
      dirty.remove(key);
    } else {
      dirty.put(key, new Dirty(e.valueAfter(), true, d.newestSeq()));
    }
  }

  /** Keys with a write in flight (tests, status). */
  int dirtyKeys() {
    return dirty.size();
  }

  /** The newest sequence number in flight here for {@code key}, or 0 when the key is clean. */
  long newestInFlight(byte[] key) {
    Dirty d = dirty.get(ByteBuffer.wrap(key));
    return d == null ? 0 : d.newestSeq();
  }

  boolean isDirty(byte[] key) {
    return dirty.containsKey(ByteBuffer.wrap(key));
  }
}
