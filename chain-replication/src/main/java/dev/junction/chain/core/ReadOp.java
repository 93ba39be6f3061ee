package dev.junction.chain.core;

/** A client read, served by the tail from committed state. */
public sealed interface ReadOp {
  /** The value of one key. */
  record Get(byte[] key) implements ReadOp {}

  /** Up to {@code limit} entries of {@code [from, to)} within the range. */
  record Scan(byte[] from, byte[] to, int limit) implements ReadOp {}
}
