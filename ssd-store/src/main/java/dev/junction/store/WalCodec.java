package dev.junction.store;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of the operations of one group commit in a WAL record. A payload is the number of
 * operations (4 bytes) followed by each operation: a type byte and its fields, big-endian, byte strings as
 * a 4-byte length and the bytes. Range deletes never reach the WAL (they commit straight into LMDB).
 *
 * <pre>
 *   put           1  key  value  seq(8)
 *   delete        2  key
 *   put-meta      3  rangeId(8)  RangeMeta.encode()
 *   delete-meta   4  rangeId(8)
 *   append-log    5  rangeId(8)  seq(8)  entry
 *   truncate-log  6  rangeId(8)  upTo(8)
 * </pre>
 */
final class WalCodec {
  private static final byte PUT = 1;
  private static final byte DELETE = 2;
  private static final byte PUT_META = 3;
  private static final byte DELETE_META = 4;
  private static final byte APPEND_LOG = 5;
  private static final byte TRUNCATE_LOG = 6;

  private WalCodec() {}

  /**
   * Builds one record: room for the WAL's header, then the payload. Reused from group to group by the
   * thread that holds the write lock.
   */
  static final class Encoder {
    private ByteBuffer buf = ByteBuffer.allocate(64 << 10);
    private int ops;

    /** Starts a new record. */
    void reset() {
      buf.clear();
      buf.position(Wal.HEADER_BYTES + Integer.BYTES);
      ops = 0;
    }

    boolean isEmpty() {
      return ops == 0;
    }

    void add(WriteBatch.Op op) {
      if (op instanceof WriteBatch.Put put) {
        room(1 + 8 + put.key().length + put.value().length + 8);
        buf.put(PUT);
        bytes(put.key());
        bytes(put.value());
        buf.putLong(put.seq());
      } else if (op instanceof WriteBatch.Delete del) {
        room(1 + 4 + del.key().length);
        buf.put(DELETE);
        bytes(del.key());
      } else if (op instanceof WriteBatch.PutMeta pm) {
        byte[] encoded = pm.meta().encode();
        room(1 + 8 + 4 + encoded.length);
        buf.put(PUT_META).putLong(pm.rangeId());
        bytes(encoded);
      } else if (op instanceof WriteBatch.DeleteMeta dm) {
        room(1 + 8);
        buf.put(DELETE_META).putLong(dm.rangeId());
      } else if (op instanceof WriteBatch.AppendLog al) {
        room(1 + 16 + 4 + al.entry().length);
        buf.put(APPEND_LOG).putLong(al.rangeId()).putLong(al.seq());
        bytes(al.entry());
      } else if (op instanceof WriteBatch.TruncateLog tl) {
        room(1 + 16);
        buf.put(TRUNCATE_LOG).putLong(tl.rangeId()).putLong(tl.upToSeq());
      } else {
        throw new IllegalArgumentException("no WAL encoding for " + op);
      }
      ops++;
    }

    /**
     * The record so far, from its first header byte (position 0) to the end of the payload (the limit).
     * The header itself is filled in by {@link Wal#append}.
     */
    ByteBuffer record() {
      buf.putInt(Wal.HEADER_BYTES, ops);
      ByteBuffer out = buf.duplicate();
      out.flip();
      return out;
    }

    private void bytes(byte[] b) {
      buf.putInt(b.length).put(b);
    }

    private void room(int n) {
      if (buf.remaining() < n) {
        long want = Math.max((long) buf.capacity() * 2, (long) buf.position() + n);
        if (want > Integer.MAX_VALUE - 64) {
          throw new StoreException("a group commit is too large for one WAL record");
        }
        ByteBuffer bigger = ByteBuffer.allocate((int) want);
        buf.flip();
        bigger.put(buf);
        buf = bigger;
      }
    }
  }

  /**
   * The operations of one record's payload, in order.
   *
   * @throws IllegalArgumentException if the payload is not a valid encoding (its CRC matched, so this is
   *     a bug or a record of another format)
   */
  static List<WriteBatch.Op> decode(ByteBuffer payload) {
    try {
      int n = payload.getInt();
      if (n < 0) {
        throw new IllegalArgumentException("negative operation count " + n);
      }
      List<WriteBatch.Op> ops = new ArrayList<>(Math.min(n, 1 << 16));
      for (int i = 0; i < n; i++) {
        byte type = payload.get();
        switch (type) {
          case PUT -> {
            byte[] key = bytes(payload);
            byte[] value = bytes(payload);
            ops.add(new WriteBatch.Put(key, value, payload.getLong()));
          }
          case DELETE -> ops.add(new WriteBatch.Delete(bytes(payload)));
          case PUT_META -> {
            long rangeId = payload.getLong();
            ops.add(new WriteBatch.PutMeta(rangeId, RangeMeta.decode(ByteBuffer.wrap(bytes(payload)))));
          }
          case DELETE_META -> ops.add(new WriteBatch.DeleteMeta(payload.getLong()));
          case APPEND_LOG -> {
            long rangeId = payload.getLong();
            long seq = payload.getLong();
            ops.add(new WriteBatch.AppendLog(rangeId, seq, bytes(payload)));
          }
          case TRUNCATE_LOG -> ops.add(new WriteBatch.TruncateLog(payload.getLong(), payload.getLong()));
          default -> throw new IllegalArgumentException("unknown operation type " + type);
        }
      }
      if (payload.hasRemaining()) {
        throw new IllegalArgumentException(payload.remaining() + " bytes after the last operation");
      }
      return ops;
    } catch (BufferUnderflowException | StoreException e) {
      throw new IllegalArgumentException("truncated or invalid operation: " + e, e);
    }
  }

  private static byte[] bytes(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining()) {
      throw new IllegalArgumentException("byte string of " + n + " bytes with " + b.remaining() + " left");
    }
    byte[] out = new byte[n];
    b.get(out);
    return out;
  }
}
