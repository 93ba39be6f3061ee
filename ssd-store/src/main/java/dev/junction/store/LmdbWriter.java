package dev.junction.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * Writes operations into one LMDB write transaction of the store's tables: user data (keys encoded by
 * {@link KeyCodec}), range metadata (8-byte range id) and replication logs (range id and sequence number).
 * Used by memtable flushes and by batches that commit straight into LMDB.
 */
final class LmdbWriter implements Memtable.FlushTarget {
  /** Direct buffers for LMDB keys; one set per thread that writes (the leader, the flusher). */
  static final class Buffers {
    final ByteBuffer key = ByteBuffer.allocateDirect(KeyCodec.LMDB_MAX_KEY);
    final ByteBuffer meta = ByteBuffer.allocateDirect(Long.BYTES);
    final ByteBuffer log = ByteBuffer.allocateDirect(2 * Long.BYTES);
  }

  private final Txn<ByteBuffer> txn;
  private final Buffers b;
  private final Dbi<ByteBuffer> data;
  private final Dbi<ByteBuffer> meta;
  private final Dbi<ByteBuffer> logTable;

  LmdbWriter(
      Txn<ByteBuffer> txn, Buffers b, Dbi<ByteBuffer> data, Dbi<ByteBuffer> meta, Dbi<ByteBuffer> logTable) {
    this.txn = txn;
    this.b = b;
    this.data = data;
    this.meta = meta;
    this.logTable = logTable;
  }

  @Override
  public void put(byte[] key, Versioned value) {
    KeyCodec.encode(key, b.key);
    ByteBuffer dst = data.reserve(txn, b.key, KeyCodec.storedValueSize(key, value.value().length));
    KeyCodec.writeValue(dst.order(ByteOrder.BIG_ENDIAN), key, value.value(), value.seq());
  }

  @Override
  public void delete(byte[] key) {
    KeyCodec.encode(key, b.key);
    data.delete(txn, b.key);
  }

  @Override
  public void putMeta(long rangeId, RangeMeta m) {
    byte[] encoded = m.encode();
    b.meta.clear();
    b.meta.putLong(rangeId).flip();
    meta.reserve(txn, b.meta, encoded.length).put(0, encoded);
  }

  @Override
  public void deleteMeta(long rangeId) {
    b.meta.clear();
    b.meta.putLong(rangeId).flip();
    meta.delete(txn, b.meta);
  }

  @Override
  public void appendLog(long rangeId, long seq, byte[] entry) {
    b.log.clear();
    b.log.putLong(rangeId).putLong(seq).flip();
    logTable.reserve(txn, b.log, entry.length).put(0, entry);
  }

  @Override
  public void truncateLog(long rangeId, long upToSeq) {
    try (Cursor<ByteBuffer> c = logTable.openCursor(txn)) {
      b.log.clear();
      b.log.putLong(rangeId).putLong(0).flip();
      boolean more = c.get(b.log, GetOp.MDB_SET_RANGE);
      while (more) {
        ByteBuffer k = c.key().order(ByteOrder.BIG_ENDIAN);
        if (k.getLong(k.position()) != rangeId || k.getLong(k.position() + Long.BYTES) > upToSeq) {
          break;
        }
        c.delete();
        more = c.next();
      }
    }
  }

  /** Removes every key of {@code [from, to)}; an empty bound is open. */
  void deleteRange(byte[] from, byte[] to) {
    try (Cursor<ByteBuffer> c = data.openCursor(txn)) {
      boolean more;
      if (from.length == 0) {
        more = c.first();
      } else {
        b.key.clear();
        b.key.put(KeyCodec.seekKey(from)).flip();
        more = c.get(b.key, GetOp.MDB_SET_RANGE);
      }
      while (more) {
        ByteBuffer k = c.key();
        byte[] stored = new byte[k.remaining()];
        k.get(k.position(), stored);
        if (to.length > 0 && KeyCodec.pastEnd(stored, to)) {
          break;
        }
        byte[] key = KeyCodec.userKey(stored, c.val().order(ByteOrder.BIG_ENDIAN));
        if (Keys.inInterval(key, from, to)) {
          // LMDB leaves the cursor on the following entry; next() then returns that entry.
          c.delete();
        }
        more = c.next();
      }
    }
  }
}
