package dev.junction.store;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * The entries of one key interval over the layers of the store, in key order: the active memtable, the
 * memtable being flushed (if any) and LMDB. For a key held by several layers the newest layer wins, and a
 * deletion there hides the key altogether. The LMDB side comes from a {@link RangeIterator}, which already
 * returns exact key order (long keys included); the memtables order by the full key.
 */
final class MergedRange implements Iterator<KeyValue> {
  private final Memtable.Range active;
  private final Memtable.Range flushing;
  private final Iterator<KeyValue> lmdb;
  private KeyValue lmdbHead;
  private KeyValue next;

  /**
   * @param flushing null when no memtable is being flushed
   */
  MergedRange(Memtable.Range active, Memtable.Range flushing, Iterator<KeyValue> lmdb) {
    this.active = active;
    this.flushing = flushing;
    this.lmdb = lmdb;
    this.lmdbHead = lmdb.hasNext() ? lmdb.next() : null;
  }

  @Override
  public boolean hasNext() {
    while (next == null) {
      if (!step()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public KeyValue next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    KeyValue out = next;
    next = null;
    return out;
  }

  /** Consumes the smallest key of all layers; false when every layer is exhausted. */
  private boolean step() {
    byte[] key = smallest();
    if (key == null) {
      return false;
    }
    Versioned chosen = null;
    if (active.key() != null && Arrays.equals(active.key(), key)) {
      chosen = active.value();
      active.advance();
    }
    if (flushing != null && flushing.key() != null && Arrays.equals(flushing.key(), key)) {
      if (chosen == null) {
        chosen = flushing.value();
      }
      flushing.advance();
    }
    KeyValue fromLmdb = null;
    if (lmdbHead != null && Arrays.equals(lmdbHead.key(), key)) {
      fromLmdb = lmdbHead;
      lmdbHead = lmdb.hasNext() ? lmdb.next() : null;
    }
    if (chosen == null) {
      next = fromLmdb;
    } else if (chosen != Memtable.DELETED) {
      next = new KeyValue(key.clone(), chosen.value().clone(), chosen.seq());
    }
    return true;
  }

  private byte[] smallest() {
    byte[] key = active.key();
    if (flushing != null) {
      key = min(key, flushing.key());
    }
    return min(key, lmdbHead == null ? null : lmdbHead.key());
  }

  private static byte[] min(byte[] a, byte[] b) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return a;
    }
    return Keys.compare(a, b) <= 0 ? a : b;
  }
}
