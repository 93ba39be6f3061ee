package dev.junction.store;

import java.util.ArrayList;
import java.util.List;

/**
 * A set of writes committed atomically, optionally guarded by conditions. All conditions are evaluated
 * against the store as it stands when the batch is applied (after every batch committed before it, also
 * those in the same group commit); if any fails, none of the batch's operations is applied and the
 * {@link CommitResult} says so, with the current value of every condition key.
 *
 * <p>Every argument is checked when it is added, so a batch that reaches the writer cannot fail for bad
 * input. A batch is built by one thread and must not be changed after it was submitted.
 */
public final class WriteBatch {
  /** One operation of a batch. */
  public sealed interface Op
      permits Put, Delete, DeleteRange, PutMeta, DeleteMeta, AppendLog, TruncateLog {}

  /** Write {@code key = value}, produced by the write with sequence number {@code seq}. */
  public record Put(byte[] key, byte[] value, long seq) implements Op {}

  /** Remove {@code key} if present. */
  public record Delete(byte[] key) implements Op {}

  /** Remove every key in {@code [from, to)}; an empty bound is open. */
  public record DeleteRange(byte[] from, byte[] to) implements Op {}

  /** Store the metadata of range {@code rangeId}. */
  public record PutMeta(long rangeId, RangeMeta meta) implements Op {}

  /** Forget the metadata of range {@code rangeId}. */
  public record DeleteMeta(long rangeId) implements Op {}

  /** Append {@code entry} as record {@code seq} of range {@code rangeId}'s replication log. */
  public record AppendLog(long rangeId, long seq, byte[] entry) implements Op {}

  /** Remove the records of range {@code rangeId}'s log with a sequence number up to {@code upToSeq}. */
  public record TruncateLog(long rangeId, long upToSeq) implements Op {}

  /**
   * A condition: {@code key} currently holds {@code expected} (value bytes, the sequence number is not
   * compared), or is absent when {@code expected} is null.
   */
  public record Expect(byte[] key, byte[] expected) {}

  private final List<Op> ops = new ArrayList<>();
  private final List<Expect> conditions = new ArrayList<>();
  private long bytes;
  private boolean onlyFrees = true;
  private boolean rangeDeletes;

  private final boolean handsOver;

  /** An empty batch. Values are checked against the absolute maximum here and against the store's own,
   * possibly lower, {@code max-value-size} when the batch is submitted. */
  public WriteBatch() {
    this(false);
  }

  private WriteBatch(boolean handsOver) {
    this.handsOver = handsOver;
  }

  /**
   * An empty batch whose byte arrays (keys, values, log entries) become the store's when added: the store
   * keeps them in its memtable as they are instead of copying them, so the caller must never change them
   * afterwards. For callers whose arrays are immutable values anyway (a replica's log entries): it saves
   * two copies of every value written.
   */
  public static WriteBatch handingOver() {
    return new WriteBatch(true);
  }

  /** Whether the store may keep this batch's arrays without copying them ({@link #handingOver}). */
  public boolean handsOver() {
    return handsOver;
  }

  public WriteBatch put(byte[] key, byte[] value, long seq) {
    Keys.checkKey(key);
    Keys.checkValue(value, Keys.MAX_VALUE_BYTES);
    Keys.checkSeq(seq);
    ops.add(new Put(key, value, seq));
    bytes += key.length + value.length + 16L;
    onlyFrees = false;
    return this;
  }

  public WriteBatch delete(byte[] key) {
    Keys.checkKey(key);
    ops.add(new Delete(key));
    bytes += key.length + 16L;
    return this;
  }

  public WriteBatch deleteRange(byte[] from, byte[] to) {
    Keys.checkInterval(from, to);
    ops.add(new DeleteRange(from, to));
    bytes += from.length + to.length + 16L;
    rangeDeletes = true;
    return this;
  }

  public WriteBatch putMeta(long rangeId, RangeMeta meta) {
    if (meta == null) {
      throw new InvalidRequestException("range metadata is missing");
    }
    ops.add(new PutMeta(rangeId, meta));
    bytes += 64;
    onlyFrees = false;
    return this;
  }

  public WriteBatch deleteMeta(long rangeId) {
    ops.add(new DeleteMeta(rangeId));
    bytes += 16;
    return this;
  }

  /** Appends a record to a range's replication log (kept until truncated). */
  public WriteBatch appendLog(long rangeId, long seq, byte[] entry) {
    Keys.checkSeq(seq);
    if (entry == null) {
      throw new InvalidRequestException("log entry is missing");
    }
    if (entry.length > Keys.MAX_VALUE_BYTES + 2 * Keys.MAX_KEY_BYTES + 1024) {
      throw new InvalidRequestException("log entry of " + entry.length + " bytes is too large");
    }
    ops.add(new AppendLog(rangeId, seq, entry));
    bytes += entry.length + 24L;
    onlyFrees = false;
    return this;
  }

  /** Removes a range's log records up to and including {@code upToSeq}. */
  public WriteBatch truncateLog(long rangeId, long upToSeq) {
    ops.add(new TruncateLog(rangeId, upToSeq));
    bytes += 24;
    return this;
  }

  /** Apply the batch only if {@code key} holds {@code expected} (or is absent, if null). */
  public WriteBatch expect(byte[] key, byte[] expected) {
    Keys.checkKey(key);
    if (expected != null) {
      Keys.checkValue(expected, Keys.MAX_VALUE_BYTES);
    }
    conditions.add(new Expect(key, expected));
    bytes += key.length + 16L;
    return this;
  }

  public List<Op> ops() {
    return ops;
  }

  public List<Expect> conditions() {
    return conditions;
  }

  public boolean isEmpty() {
    return ops.isEmpty() && conditions.isEmpty();
  }

  /** Rough size used to bound a group commit. */
  long estimatedBytes() {
    return bytes;
  }

  /** True when the batch only removes data, so it may use the space held back for deletes. */
  boolean onlyFreesSpace() {
    return onlyFrees;
  }

  /** True when the batch deletes a key interval (which commits straight into LMDB, not through the WAL). */
  boolean hasRangeDelete() {
    return rangeDeletes;
  }

  int putCount() {
    int n = 0;
    for (Op op : ops) {
      if (op instanceof Put) {
        n++;
      }
    }
    return n;
  }
}
