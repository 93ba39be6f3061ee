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
 * numbers go on (so a key's sequence number still only grows). The right half of a merge ({@link
 * Mutation.MergeInto}) writes the merged range's metadata the same way, going on after both halves' last
 * sequence numbers. The metadata claims that point committed; the new ranges start only once the
 * controller published them, which it does only after the entry committed.
 */
public final class ReplicaStore {
  private static final int LOG_READ_CHUNK = 4096;
  /** Keys deleted per batch by {@link #wipe}, and the bytes of values read per chunk at most. */
  static final int WIPE_CHUNK = 1024;
  private static final long WIPE_CHUNK_BYTES = 4 << 20;

  private final SsdStore store;
  private final long rangeId;
  private final int slot;

  public ReplicaStore(SsdStore store, long rangeId, int slot) {
    this.store = store;
    this.rangeId = rangeId;
    this.slot = slot;
  }

  /** The range whose replica this is. */
  public long rangeId() {
    return rangeId;
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

  /**
   * Forgets everything this node holds of the range: data in its interval, metadata, log. Key by key, in
   * batches through the write-ahead log, not as one range delete: a range delete makes the store flush
   * its memtable and commit straight into LMDB under its write lock, so every other range of the node
   * waits for that synced commit (hundreds of milliseconds under load) at each copy. Nobody writes the
   * range here meanwhile (the replica that copies is not in its chain yet), so the walk misses nothing.
   */
  public void wipe(byte[] start, byte[] end) {
    byte[] from = start;
    while (from != null) {
      from = wipeChunk(from, end).next();
    }
    forget();
  }

  /** One chunk of a wipe: how many keys it deleted, and the key to go on from (null: none is left). */
  public record Chunk(int deleted, byte[] next) {}

  /**
   * Deletes the keys of {@code [from, end)} in this node's store up to {@link #WIPE_CHUNK} of them (or
   * {@code WIPE_CHUNK_BYTES} of values read), in one batch through the write-ahead log.
   */
  public Chunk wipeChunk(byte[] from, byte[] end) {
    ScanPage page = store.scanPage(from, end, WIPE_CHUNK, WIPE_CHUNK_BYTES);
    if (page.entries().isEmpty()) {
      return new Chunk(0, null);
    }
    WriteBatch batch = new WriteBatch();
    for (KeyValue kv : page.entries()) {
      batch.delete(kv.key());
    }
    store.write(batch);
    return new Chunk(page.entries().size(), Keys.successor(page.entries().get(page.entries().size() - 1).key()));
  }

  /** Drops the range's metadata and log here (its data stays: see {@link #wipe}). */
  public void forget() {
    store.write(new WriteBatch().deleteMeta(rangeId).truncateLog(rangeId, Long.MAX_VALUE));
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
   * The earlier ranges on this node whose keys this range took over: those whose stored log ends with a
   * split or merge that names it, oldest range first, each as its own store. Empty for a range that took
   * over no other (most). Only each candidate's last log record is read (the ending is its range's last
   * entry); their logs, up to their endings, are each one's {@link #storedLog}.
   */
  public List<ReplicaStore> predecessors(RangeConfig config) {
    List<ReplicaStore> out = new ArrayList<>();
    for (java.util.Map.Entry<Long, RangeMeta> e : store.allMeta().entrySet()) {
      long other = e.getKey();
      RangeMeta meta = e.getValue();
      if (other == rangeId || !Keys.overlap(meta.start(), meta.end(), config.start(), config.end())) {
        continue;
      }
      List<LogRecord> last = store.readLog(other, meta.appliedSeq(), 1);
      if (!last.isEmpty() && LogCodec.decode(last.get(0).entry()).mutation() instanceof Mutation.Ending end
          && names(end, rangeId)) {
        out.add(new ReplicaStore(store, other, meta.slot()));
      }
    }
    return out;
  }

  private static boolean names(Mutation.Ending end, long id) {
    if (end instanceof Mutation.Split s) {
      return s.leftId() == id || s.rightId() == id;
    }
    return end instanceof Mutation.Seal seal ? seal.intoId() == id : ((Mutation.MergeInto) end).intoId() == id;
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
    // A log entry's arrays are never changed (the chain passes them on as values): the store keeps them.
    WriteBatch batch = WriteBatch.handingOver();
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
      } else if (m instanceof Mutation.MergeInto mi) {
        mergedMeta(config, mi, e.seq()).ifPresent(meta -> batch.putMeta(mi.intoId(), meta));
      }
      batch.appendLog(rangeId, e.seq(), LogCodec.encode(e));
    }
    long last = entries.get(entries.size() - 1).seq();
    batch.putMeta(rangeId,
        new RangeMeta(config.epoch(), last, config.start(), config.end(), slot, Math.min(committed, last)));
    return store.submit(batch).thenApply(r -> last);
  }

  /**
   * The merged range's start on this node: the left range's slot here (the merged range takes the left
   * range's chain), its interval from the left range's start to this range's end, and sequence numbers
   * going on after both ranges' last ones. Empty when the left range has no replica on this node (it
   * then gets one by a copy).
   */
  private Optional<RangeMeta> mergedMeta(RangeConfig config, Mutation.MergeInto mi, long seq) {
    int i = config.indexOf(slot);
    if (i < 0) {
      return Optional.empty();
    }
    String node = config.chain().get(i).node();
    long start = Math.max(seq, mi.leftSeq());
    return mi.leftChain().stream().filter(r -> r.node().equals(node)).findFirst()
        .map(left -> new RangeMeta(config.epoch(), start, mi.leftStart(), config.end(), left.slot(), start));
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
