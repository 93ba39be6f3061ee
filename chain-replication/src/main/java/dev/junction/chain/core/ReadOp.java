package dev.junction.chain.core;

/** A client read, served by the tail from committed state. */
public sealed interface ReadOp {
  /**
   * The value of one key; {@code latest}: at the head, only once the key's writes in flight there have
   * committed (see {@link ChainReplica#onClientRead}).
   */
  record Get(byte[] key, boolean latest) implements ReadOp {
    /** A plain get. */
    public Get(byte[] key) {
      this(key, false);
    }
  }

  /** Up to {@code limit} entries of {@code [from, to)} within the range. */
  record Scan(byte[] from, byte[] to, int limit) implements ReadOp {}
}
