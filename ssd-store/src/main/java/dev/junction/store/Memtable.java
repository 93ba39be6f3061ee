package dev.junction.store;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Writes that are in the write-ahead log but not yet in LMDB, kept in memory so that reads see them over
 * LMDB. One writer (the group-commit leader) inserts; any number of readers read without locks.
 *
 * <p>Every entry carries the <em>version</em> of the group commit that wrote it, and a key keeps every
 * version written to it while it is in this table. A reader reads "as of" a version (the last group that
 * was published when it started) and so sees each group whole or not at all, while the writer goes on
 * inserting later groups. Deletes are kept as {@link #DELETED} entries that hide older layers; a log
 * truncation is kept as a marker that hides older log records of its range up to its sequence number.
 *
 * <p>Keys are ordered by the full user key (unsigned bytes), so long keys need none of {@link KeyCodec}'s
 * handling here. Values, keys and log entries are copied in and copied out.
 */
final class Memtable {
  /** What a memtable holds for a deleted key: the key is absent, whatever older layers hold. */
  static final Versioned DELETED = new Versioned(new byte[0], -1);
  /** What a memtable holds for deleted range metadata. */
  static final RangeMeta DELETED_META = new RangeMeta(0, 0, new byte[0], new byte[0]);
  /** The version of everything in LMDB: older than any memtable entry. */
  static final long LMDB_VERSION = -1;

  /** Rough JVM cost of one entry (skip-list node, key object, arrays' headers), for the size limit. */
  private static final int ENTRY_OVERHEAD = 112;
  /** LMDB pages one operation may dirty when flushed (copy-on-write of its leaf, and a split). */
  private static final int PAGES_PER_OP = 2;
  /** A log truncation deletes a run of records; LMDB reuses the pages it frees within the transaction. */
  private static final int PAGES_PER_TRUNCATION = 16;

  private record DataKey(byte[] key, long version) {}

  private record MetaKey(long rangeId, long version) {}

  private record LogKey(long rangeId, long seq, long version) {}

  private record TruncationKey(long rangeId, long version) {}

  /** A truncation of a range's log: records up to {@code upTo} written before {@code version} are gone. */
  record Truncation(long version, long upTo) {}

  private static final Comparator<DataKey> DATA_ORDER =
      (a, b) -> {
        int c = Arrays.compareUnsigned(a.key, b.key);
        return c != 0 ? c : Long.compare(b.version, a.version);
      };
  private static final Comparator<MetaKey> META_ORDER =
      (a, b) -> {
        int c = Long.compare(a.rangeId, b.rangeId);
        return c != 0 ? c : Long.compare(b.version, a.version);
      };
  private static final Comparator<LogKey> LOG_ORDER =
      (a, b) -> {
        int c = Long.compare(a.rangeId, b.rangeId);
        if (c == 0) {
          c = Long.compare(a.seq, b.seq);
        }
        return c != 0 ? c : Long.compare(b.version, a.version);
      };
  private static final Comparator<TruncationKey> TRUNCATION_ORDER =
      (a, b) -> {
        int c = Long.compare(a.rangeId, b.rangeId);
        return c != 0 ? c : Long.compare(b.version, a.version);
      };

  private final ConcurrentSkipListMap<DataKey, Versioned> data = new ConcurrentSkipListMap<>(DATA_ORDER);
  private final ConcurrentSkipListMap<MetaKey, RangeMeta> meta = new ConcurrentSkipListMap<>(META_ORDER);
  private final ConcurrentSkipListMap<LogKey, byte[]> log = new ConcurrentSkipListMap<>(LOG_ORDER);
  private final ConcurrentSkipListMap<TruncationKey, Long> truncations =
      new ConcurrentSkipListMap<>(TRUNCATION_ORDER);
  private final int pageSize;
  /** Ranges with metadata in this table; the writer's only. */
  private final java.util.HashSet<Long> metaRanges = new java.util.HashSet<>();

  // Written by the single writer only; volatile so that other threads read current values.
  private volatile long bytes;
  private volatile long cost;
  private volatile long maxVersion;
  private volatile long firstWriteNanos;
  private volatile long coveredPosition = -1;

  /**
   * @param pageSize LMDB's page size, for the flush cost estimate
   * @param baseVersion the last version before this table: its own versions are all larger
   */
  Memtable(int pageSize, long baseVersion) {
    this.pageSize = pageSize;
    this.maxVersion = baseVersion;
  }

  // -------------------------------------------------------------------------------------- writing

  /**
   * An upper bound of the LMDB space that flushing {@code batch} may need: per operation the pages that
   * copy-on-write and a split may dirty, plus twice its bytes (leaf pages are at least half full).
   */
  static long flushCost(WriteBatch batch, int pageSize) {
    long c = 0;
    for (WriteBatch.Op op : batch.ops()) {
      c += opCost(op, pageSize);
    }
    return c;
  }

  private static long opCost(WriteBatch.Op op, int pageSize) {
    long pages = (long) PAGES_PER_OP * pageSize;
    if (op instanceof WriteBatch.Put put) {
      return pages + 2L * (KeyCodec.storedValueSize(put.key(), put.value().length) + put.key().length + 16);
    } else if (op instanceof WriteBatch.AppendLog al) {
      return pages + 2L * (al.entry().length + 32);
    } else if (op instanceof WriteBatch.PutMeta) {
      return pages + 2L * 256;
    } else if (op instanceof WriteBatch.TruncateLog) {
      return (long) PAGES_PER_TRUNCATION * pageSize;
    } else if (op instanceof WriteBatch.DeleteRange) {
      throw new IllegalArgumentException("a range delete is not kept in a memtable");
    }
    return pages; // Delete, DeleteMeta
  }

  /**
   * Inserts one operation of the group with {@code version}; not visible before {@link #publish}. The
   * memtable keeps copies of the op's arrays, or the arrays themselves when {@code copy} is false (the
   * caller handed them over: nothing changes them any more).
   */
  void apply(WriteBatch.Op op, long version, boolean copy) {
    if (firstWriteNanos == 0) {
      firstWriteNanos = System.nanoTime() | 1;
    }
    long size;
    long flushCost = opCost(op, pageSize);
    if (op instanceof WriteBatch.Put put) {
      data.put(new DataKey(copy ? put.key().clone() : put.key(), version),
          new Versioned(copy ? put.value().clone() : put.value(), put.seq()));
      size = put.key().length + put.value().length;
    } else if (op instanceof WriteBatch.Delete del) {
      data.put(new DataKey(copy ? del.key().clone() : del.key(), version), DELETED);
      size = del.key().length;
    } else if (op instanceof WriteBatch.PutMeta pm) {
      flushCost = metaRanges.add(pm.rangeId()) ? flushCost : 0;
      meta.put(new MetaKey(pm.rangeId(), version), pm.meta()); // immutable; copied on the way out
      size = pm.meta().start().length + pm.meta().end().length + 40;
    } else if (op instanceof WriteBatch.DeleteMeta dm) {
      flushCost = metaRanges.add(dm.rangeId()) ? flushCost : 0;
      meta.put(new MetaKey(dm.rangeId(), version), DELETED_META);
      size = 16;
    } else if (op instanceof WriteBatch.AppendLog al) {
      log.put(new LogKey(al.rangeId(), al.seq(), version), copy ? al.entry().clone() : al.entry());
      size = al.entry().length + 16;
    } else if (op instanceof WriteBatch.TruncateLog tl) {
      truncations.put(new TruncationKey(tl.rangeId(), version), tl.upToSeq());
      size = 16;
    } else {
      throw new IllegalArgumentException("a memtable does not keep " + op);
    }
    bytes += size + ENTRY_OVERHEAD;
    cost += flushCost;
  }

  /** Makes the entries of {@code version} and before visible to readers of that version. */
  void publish(long version) {
    maxVersion = version;
  }

  /** Marks the table as no longer written: the WAL up to {@code walPosition} is what it holds. */
  void freeze(long walPosition) {
    coveredPosition = walPosition;
  }

  boolean isEmpty() {
    return bytes == 0;
  }

  /** Approximate memory held, in bytes. */
  long bytes() {
    return bytes;
  }

  /** An upper bound of the LMDB space a flush of this table needs. */
  long cost() {
    return cost;
  }

  /** The version of the last group inserted (or the version before the table, while empty). */
  long maxVersion() {
    return maxVersion;
  }

  /** The WAL position up to which this (frozen) table holds the log. */
  long coveredPosition() {
    return coveredPosition;
  }

  /** Nanoseconds since the first write into this table; 0 while it is empty. */
  long ageNanos() {
    long first = firstWriteNanos;
    return first == 0 ? 0 : System.nanoTime() - first;
  }

  private static RangeMeta copy(RangeMeta m) {
    return m == DELETED_META
        ? m
        : new RangeMeta(m.epoch(), m.appliedSeq(), m.start(), m.end(), m.slot(), m.committedSeq());
  }

  // -------------------------------------------------------------------------------------- reading

  /**
   * The newest value of {@code key} written at or before {@code atVersion}: {@link #DELETED} if it was
   * deleted, null when this table has nothing for the key. The value array is shared: copy it out.
   */
  Versioned get(byte[] key, long atVersion) {
    Map.Entry<DataKey, Versioned> e = data.ceilingEntry(new DataKey(key, atVersion));
    return e != null && Arrays.equals(e.getKey().key, key) ? e.getValue() : null;
  }

  /** Like {@link #get} for range metadata: {@link #DELETED_META}, a copy, or null. */
  RangeMeta getMeta(long rangeId, long atVersion) {
    Map.Entry<MetaKey, RangeMeta> e = meta.ceilingEntry(new MetaKey(rangeId, atVersion));
    return e != null && e.getKey().rangeId == rangeId ? copy(e.getValue()) : null;
  }

  /**
   * Applies this table's newest metadata (at or before {@code atVersion}) of every range to {@code into}:
   * puts replace, deletes remove.
   */
  void overlayMeta(SortedMap<Long, RangeMeta> into, long atVersion) {
    long last = 0;
    boolean any = false;
    for (Map.Entry<MetaKey, RangeMeta> e : meta.entrySet()) {
      MetaKey k = e.getKey();
      if (k.version > atVersion || (any && k.rangeId == last)) {
        continue;
      }
      any = true;
      last = k.rangeId;
      if (e.getValue() == DELETED_META) {
        into.remove(k.rangeId);
      } else {
        into.put(k.rangeId, copy(e.getValue()));
      }
    }
  }

  /** The newest entry of every key of {@code [from, to)} as of {@code atVersion}, in key order. */
  Range range(byte[] from, byte[] to, long atVersion) {
    DataKey lo = new DataKey(from, Long.MAX_VALUE);
    NavigableMap<DataKey, Versioned> sub =
        to.length == 0 ? data.tailMap(lo, true) : data.subMap(lo, true, new DataKey(to, Long.MAX_VALUE), false);
    return new Range(sub.entrySet().iterator(), atVersion);
  }

  /** Adds the truncations of {@code rangeId}'s log at or before {@code atVersion} to {@code into}. */
  void truncations(long rangeId, long atVersion, List<Truncation> into) {
    ConcurrentNavigableMap<TruncationKey, Long> sub =
        truncations.subMap(
            new TruncationKey(rangeId, Long.MAX_VALUE), true, new TruncationKey(rangeId, Long.MIN_VALUE), true);
    for (Map.Entry<TruncationKey, Long> e : sub.entrySet()) {
      if (e.getKey().version <= atVersion) {
        into.add(new Truncation(e.getKey().version, e.getValue()));
      }
    }
  }

  /** The newest record of every sequence number of {@code rangeId}'s log from {@code fromSeq}. */
  LogRange log(long rangeId, long fromSeq, long atVersion) {
    ConcurrentNavigableMap<LogKey, byte[]> sub =
        log.tailMap(new LogKey(rangeId, fromSeq, Long.MAX_VALUE), true);
    return new LogRange(sub.entrySet().iterator(), rangeId, atVersion);
  }

  /**
   * True when a log record with {@code seq} written at {@code version} is hidden by one of
   * {@code truncations} (a later truncation that reaches it).
   */
  static boolean truncated(List<Truncation> truncations, long seq, long version) {
    for (Truncation t : truncations) {
      if (t.version() > version && t.upTo() >= seq) {
        return true;
      }
    }
    return false;
  }

  /** A cursor over the newest entry per key of a key interval. */
  static final class Range {
    private final Iterator<Map.Entry<DataKey, Versioned>> it;
    private final long atVersion;
    private byte[] key;
    private Versioned value;

    private Range(Iterator<Map.Entry<DataKey, Versioned>> it, long atVersion) {
      this.it = it;
      this.atVersion = atVersion;
      advance();
    }

    /** The current key, or null when the cursor is past the end. */
    byte[] key() {
      return key;
    }

    /** The current entry's value ({@link #DELETED} for a delete); shared, copy it out. */
    Versioned value() {
      return value;
    }

    void advance() {
      byte[] previous = key;
      while (it.hasNext()) {
        Map.Entry<DataKey, Versioned> e = it.next();
        DataKey k = e.getKey();
        if (k.version > atVersion || (previous != null && Arrays.equals(previous, k.key))) {
          continue; // too new for this reader, or an older version of the key just returned
        }
        key = k.key;
        value = e.getValue();
        return;
      }
      key = null;
      value = null;
    }
  }

  /** A cursor over the newest record per sequence number of one range's log. */
  static final class LogRange {
    private final Iterator<Map.Entry<LogKey, byte[]>> it;
    private final long rangeId;
    private final long atVersion;
    private boolean valid;
    private long seq;
    private long version;
    private byte[] entry;

    private LogRange(Iterator<Map.Entry<LogKey, byte[]>> it, long rangeId, long atVersion) {
      this.it = it;
      this.rangeId = rangeId;
      this.atVersion = atVersion;
      advance();
    }

    boolean valid() {
      return valid;
    }

    long seq() {
      return seq;
    }

    long version() {
      return version;
    }

    /** The record; shared, copy it out. */
    byte[] entry() {
      return entry;
    }

    void advance() {
      boolean had = valid;
      long previous = seq;
      valid = false;
      while (it.hasNext()) {
        Map.Entry<LogKey, byte[]> e = it.next();
        LogKey k = e.getKey();
        if (k.rangeId != rangeId) {
          return;
        }
        if (k.version > atVersion || (had && k.seq == previous)) {
          continue;
        }
        valid = true;
        seq = k.seq;
        version = k.version;
        entry = e.getValue();
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------------- flushing

  /** Where a flush writes a frozen table: one LMDB write transaction. */
  interface FlushTarget {
    void put(byte[] key, Versioned value);

    void delete(byte[] key);

    void putMeta(long rangeId, RangeMeta meta);

    void deleteMeta(long rangeId);

    /** Deletes the records of a range's log up to {@code upTo}. */
    void truncateLog(long rangeId, long upTo);

    void appendLog(long rangeId, long seq, byte[] entry);
  }

  /**
   * Writes the final state of this (frozen) table into {@code target}: the newest entry of every key and
   * every range's metadata, then every range's log truncation (the largest, which covers all LMDB records
   * it applies to), then the log records that no later truncation in this table hides.
   */
  void flushInto(FlushTarget target) {
    byte[] previous = null;
    for (Map.Entry<DataKey, Versioned> e : data.entrySet()) {
      byte[] key = e.getKey().key;
      if (previous != null && Arrays.equals(previous, key)) {
        continue;
      }
      previous = key;
      if (e.getValue() == DELETED) {
        target.delete(key);
      } else {
        target.put(key, e.getValue());
      }
    }
    SortedMap<Long, RangeMeta> metas = new java.util.TreeMap<>();
    List<Long> deletedMeta = new ArrayList<>();
    long lastRange = 0;
    boolean any = false;
    for (Map.Entry<MetaKey, RangeMeta> e : meta.entrySet()) {
      MetaKey k = e.getKey();
      if (any && k.rangeId == lastRange) {
        continue;
      }
      any = true;
      lastRange = k.rangeId;
      if (e.getValue() == DELETED_META) {
        deletedMeta.add(k.rangeId);
      } else {
        metas.put(k.rangeId, e.getValue());
      }
    }
    metas.forEach(target::putMeta);
    deletedMeta.forEach(target::deleteMeta);
    flushLog(target);
  }

  private void flushLog(FlushTarget target) {
    TreeSet<Long> truncatedRanges = new TreeSet<>();
    for (TruncationKey k : truncations.keySet()) {
      truncatedRanges.add(k.rangeId);
    }
    for (long rangeId : truncatedRanges) {
      List<Truncation> ts = new ArrayList<>();
      truncations(rangeId, Long.MAX_VALUE, ts);
      long upTo = ts.stream().mapToLong(Truncation::upTo).max().orElseThrow();
      target.truncateLog(rangeId, upTo);
    }
    long rangeId = 0;
    boolean haveRange = false;
    List<Truncation> ts = new ArrayList<>();
    long previousSeq = 0;
    for (Map.Entry<LogKey, byte[]> e : log.entrySet()) {
      LogKey k = e.getKey();
      if (!haveRange || k.rangeId != rangeId) {
        haveRange = true;
        rangeId = k.rangeId;
        ts.clear();
        truncations(rangeId, Long.MAX_VALUE, ts);
      } else if (k.seq == previousSeq) {
        continue; // an older version of the record just written
      }
      previousSeq = k.seq;
      if (!truncated(ts, k.seq, k.version)) {
        target.appendLog(k.rangeId, k.seq, e.getValue());
      }
    }
  }
}
