package dev.junction.bench;

/**
 * One side of the comparison: {@code ssd-store} or raw LMDB-Java. Both store, under the key, the 8-byte
 * big-endian sequence number followed by the value, so they write the same bytes.
 */
interface KvSide extends AutoCloseable {
  /** "raw" or "store". */
  String name();

  /** Writes entries {@code [from, to)} of {@code slice} in one atomic commit. */
  void writeBatch(Dataset.Slice slice, int from, int to);

  /** Writes one key in a commit of its own (which the store may share with other writers' puts). */
  void put(byte[] key, byte[] value, long seq);

  /** A copy of the value of {@code key}, or null when it is absent. */
  byte[] get(byte[] key);

  @Override
  void close();
}
