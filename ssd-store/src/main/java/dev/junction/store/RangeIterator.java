package dev.junction.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.lmdbjava.Cursor;
import org.lmdbjava.GetOp;

/**
 * Walks the user keys of {@code [from, to)} in key order over an open LMDB cursor. Long keys that share
 * their stored prefix ({@link KeyCodec}) are read as one group and sorted before they are returned, so a
 * group is held in memory; everything else streams. The cursor's transaction must stay open while this
 * iterator is used.
 */
final class RangeIterator implements Iterator<KeyValue> {
  private final Cursor<ByteBuffer> cursor;
  private final byte[] from;
  private final byte[] to;
  private final ArrayDeque<KeyValue> ready = new ArrayDeque<>();
  private boolean positioned;
  private boolean exhausted;

  RangeIterator(Cursor<ByteBuffer> cursor, ByteBuffer seekBuffer, byte[] from, byte[] to) {
    this.cursor = cursor;
    this.from = from;
    this.to = to;
    if (from.length == 0) {
      positioned = cursor.first();
    } else {
      seekBuffer.clear();
      seekBuffer.put(KeyCodec.seekKey(from)).flip();
      positioned = cursor.get(seekBuffer, GetOp.MDB_SET_RANGE);
    }
  }

  @Override
  public boolean hasNext() {
    while (ready.isEmpty() && !exhausted) {
      fill();
    }
    return !ready.isEmpty();
  }

  @Override
  public KeyValue next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.poll();
  }

  /** Reads the next stored entry (or the next group of long keys) into {@code ready}. */
  private void fill() {
    if (!positioned) {
      exhausted = true;
      return;
    }
    byte[] stored = bytes(cursor.key());
    if (to.length > 0 && KeyCodec.pastEnd(stored, to)) {
      exhausted = true;
      return;
    }
    if (!KeyCodec.isLongStored(stored.length)) {
      ByteBuffer v = cursor.val().order(ByteOrder.BIG_ENDIAN);
      if (Keys.inInterval(stored, from, to)) {
        ready.add(new KeyValue(stored, KeyCodec.value(stored.length, v), KeyCodec.seq(v)));
      }
      positioned = cursor.next();
      return;
    }
    List<KeyValue> group = new ArrayList<>();
    byte[] prefix = Arrays.copyOf(stored, KeyCodec.INLINE_MAX);
    while (true) {
      ByteBuffer v = cursor.val().order(ByteOrder.BIG_ENDIAN);
      byte[] key = KeyCodec.userKey(stored, v);
      if (Keys.inInterval(key, from, to)) {
        group.add(new KeyValue(key, KeyCodec.value(stored.length, v), KeyCodec.seq(v)));
      }
      positioned = cursor.next();
      if (!positioned) {
        break;
      }
      stored = bytes(cursor.key());
      if (!KeyCodec.isLongStored(stored.length)
          || Arrays.compareUnsigned(stored, 0, KeyCodec.INLINE_MAX, prefix, 0, KeyCodec.INLINE_MAX)
              != 0) {
        break;
      }
    }
    group.sort((a, b) -> Keys.compare(a.key(), b.key()));
    ready.addAll(group);
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(b.position(), out);
    return out;
  }
}
