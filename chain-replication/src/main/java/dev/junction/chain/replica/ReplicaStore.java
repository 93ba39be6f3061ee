package dev.junction.chain.replica;

import dev.junction.chain.core.LogCodec;
import dev.junction.chain.core.LogEntry;
import dev.junction.chain.core.Mutation;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReadOp;
import dev.junction.store.KeyValue;
import dev.junction.store.Keys;
import dev.junction.store.LogRecord;
import dev.junction.store.RangeMeta;
import dev.junction.store.ScanPage;
import dev.junction.store.SsdStore;
import dev.junction.store.Versioned;
import dev.junction.store.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * How one replica of one range uses the node's store: each output of the protocol core becomes one write
 * batch holding the entries' data changes, their log records and the range's applied sequence number, so
 * that data, log and metadata are always committed together. Reads are clamped to the range's interval.
 *
 * <p>A split ({@link Mutation.Split}) writes, with its entry, the metadata of the two ranges it creates:
 * each holds the data of its interval as of the split's sequence number, which is where its own sequence
 * numbers go on (so a key's sequence number still only grows). The metadata claims that point committed;
 * the new ranges start only once the controller published them, which it does only after the split
 * committed.
 */
public final class ReplicaStore {
  private static final int LOG_READ_CHUNK = 4096;

  private final SsdStore store;
  private final long rangeId;
  private final int slot;

  public ReplicaStore(SsdStore store, long rangeId, int slot) {
    this.store = store;
    this.rangeId = rangeId;
    this.slot = slot;
  }

  /** The sequence number everything up to which is durable here (0 for a new replica). */
  public long appliedSeq() {
    return store.meta(rangeId).map(RangeMeta::appliedSeq).orElse(0L);
  }

  /**
   * The highest sequence number known committed when the replica last stored a batch: its recorded commit
   * point, or, for metadata that did not record one, everything before the first record of its log.
   */
  public long committedSeq(List<LogEntry> storedLog) {
    Optional<RangeMeta> meta = store.meta(rangeId);
    if (meta.isEmpty()) {
      return 0;
    }
    long applied = meta.get().appliedSeq();
    if (meta.get().committedSeq() != RangeMeta.UNKNOWN_COMMITTED) {
      return Math.min(meta.get().committedSeq(), applied);
    }
    return storedLog.isEmpty() ? applied : Math.max(0, Math.min(applied, storedLog.get(0).seq() - 1));
  }

  /**
   * The keys and bytes this node's store holds in {@code config}'s interval, and a key near its middle:
   * a walk of the whole interval, for statistics (see {@link SsdStore#measure}).
   */
  public dev.junction.store.RangeSize measure(RangeConfig config) {
    return store.measure(config.start(), config.end());
  }

  /** True while the node's store refuses writes that add data (it is full). */
  public boolean full() {
    return store.isFull();
  }

  /**
   * The slot of another replica of this range whose data this node holds (a replica this node hosted
   * earlier), if any: then the data is not this replica's own.
   */
  public Optional<Integer> foreignSlot() {
    return store.meta(rangeId)
        .map(RangeMeta::slot)
        .filter(s -> s != RangeMeta.UNKNOWN_SLOT && s != slot);
  }

  /** Forgets everything this node holds of the range: data in its interval, metadata, log. */
  public void wipe(byte[] start, byte[] end) {
    store.write(new WriteBatch().deleteRange(start, end).deleteMeta(rangeId).truncateLog(rangeId, Long.MAX_VALUE));
  }

  /** Stores entries copied from another replica (a chunk of a state transfer). */
  public void importEntries(List<KeyValue> entries) {
    store.importEntries(entries.iterator(), 1024);
  }

  /** Records that this replica holds the range's state as of {@code appliedSeq} (after a transfer). */
  public void markTransferred(long epoch, long appliedSeq, byte[] start, byte[] end) {
    store.write(new WriteBatch().putMeta(rangeId, new RangeMeta(epoch, appliedSeq, start, end, slot, appliedSeq)));
  }

  /** The log records this node kept for the range, in sequence order, up to {@code appliedSeq}. */
  public List<LogEntry> storedLog() {
    List<LogEntry> out = new ArrayList<>();
    long from = 0;
    while (true) {
      List<LogEntry> chunk = readLog(from, LOG_READ_CHUNK);
      out.addAll(chunk);
      if (chunk.size() < LOG_READ_CHUNK) {
        return out;
      }
      from = chunk.get(chunk.size() - 1).seq() + 1;
    }
  }

  /**
   * Up to {@code max} log records from {@code fromSeq} on, in sequence order (the first may be later than
   * {@code fromSeq} when the log was truncated past it).
   */
  public List<LogEntry> readLog(long fromSeq, int max) {
    List<LogEntry> out = new ArrayList<>();
    for (LogRecord r : store.readLog(rangeId, fromSeq, max)) {
      out.add(LogCodec.decode(r.entry()));
    }
    return out;
  }

  /**
   * Commits {@code entries} (in sequence order) with the range's metadata, recording {@code committed} as
   * the commit point; the future completes with the last sequence number once the batch is durable.
   */
  public CompletableFuture<Long> persist(RangeConfig config, List<LogEntry> entries, long committed) {
    WriteBatch batch = new WriteBatch();
    for (LogEntry e : entries) {
      Mutation m = e.mutation();
      if (m instanceof Mutation.Set set) {
        batch.put(set.key(), set.value(), e.seq());
      } else if (m instanceof Mutation.CasApplied ca) {
        batch.put(ca.key(), ca.value(), e.seq());
      } else if (m instanceof Mutation.Remove rm) {
        batch.delete(rm.key());
      } else if (m instanceof Mutation.Split sp) {
        // The two new ranges start here from this node's data as of the split, with the same slot.
        batch.putMeta(sp.leftId(), new RangeMeta(config.epoch(), e.seq(), config.start(), sp.key(), slot, e.seq()));
        batch.putMeta(sp.rightId(), new RangeMeta(config.epoch(), e.seq(), sp.key(), config.end(), slot, e.seq()));
      }
      batch.appendLog(rangeId, e.seq(), LogCodec.encode(e));
    }
    long last = entries.get(entries.size() - 1).seq();
    batch.putMeta(rangeId,
        new RangeMeta(config.epoch(), last, config.start(), config.end(), slot, Math.min(committed, last)));
    return store.submit(batch).thenApply(r -> last);
  }

  /** Forgets the log records up to {@code seq} (committed: the chain no longer needs to resend them). */
  public void truncateLog(long seq) {
    store.submit(new WriteBatch().truncateLog(rangeId, seq));
  }

  /** The committed value of a key (at the tail, the store holds exactly the committed state). */
  public Optional<Versioned> get(byte[] key) {
    return store.get(key);
  }

  /** Most bytes of keys and values in one scan answer (it must fit a cluster message). */
  public static final long SCAN_REPLY_BYTES = 1 << 20;

  /**
   * A scan of {@code op}'s interval intersected with the range's, cut at {@link #SCAN_REPLY_BYTES}: then
   * {@link ScanPage#more} says the range holds more entries after the last one.
   */
  public ScanPage scan(RangeConfig config, ReadOp.Scan op) {
    byte[] from = Keys.compare(op.from(), config.start()) > 0 ? op.from() : config.start();
    byte[] to = op.to();
    if (config.end().length > 0 && (to.length == 0 || Keys.compare(to, config.end()) > 0)) {
      to = config.end();
    }
    if (to.length > 0 && Keys.compare(from, to) >= 0) {
      return new ScanPage(List.of(), false);
    }
    return store.scanPage(from, to, op.limit(), SCAN_REPLY_BYTES);
  }
}
