package dev.junction.store;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import org.lmdbjava.Cursor;
import org.lmdbjava.Txn;

/**
 * A consistent view of one key interval, streamed in key order, with the range metadata of the same
 * moment ({@link #meta}): a replica that copies the entries and then the metadata's applied sequence
 * number knows exactly from which sequence number to catch up. Holds an LMDB read transaction until
 * {@link #close()}.
 */
public final class StoreSnapshot implements Iterator<KeyValue>, AutoCloseable {
  private final SsdStore store;
  private final Txn<ByteBuffer> txn;
  private final Cursor<ByteBuffer> cursor;
  private final RangeIterator entries;
  private boolean closed;

  StoreSnapshot(SsdStore store, Txn<ByteBuffer> txn, Cursor<ByteBuffer> cursor, RangeIterator entries) {
    this.store = store;
    this.txn = txn;
    this.cursor = cursor;
    this.entries = entries;
  }

  @Override
  public boolean hasNext() {
    checkOpen();
    return entries.hasNext();
  }

  @Override
  public KeyValue next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return entries.next();
  }

  /** The metadata of {@code rangeId} as of this snapshot. */
  public Optional<RangeMeta> meta(long rangeId) {
    checkOpen();
    return store.snapshotMeta(txn, rangeId);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("snapshot is closed");
    }
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      store.releaseSnapshot(txn, cursor);
    }
  }
}
